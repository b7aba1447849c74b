-- Knowledge base (知识库, package internal/knowledge): answers that 12345
-- operators read out while a caller is on the line and that the public read
-- as FAQ pages.
--
-- kb_articles holds each article's working copy, which staff edit; version is
-- the number of the latest published snapshot (0 before the first publish).
-- What operators and the public see is that snapshot in kb_versions.
-- questions and tags are JSON arrays of strings. valid_until is exclusive:
-- the first instant at which the article is no longer valid.
CREATE TABLE kb_articles (
	id BIGSERIAL PRIMARY KEY,
	title TEXT NOT NULL,
	questions TEXT NOT NULL DEFAULT '[]',
	answer TEXT NOT NULL,
	category_code TEXT NOT NULL,
	department_id BIGINT NOT NULL REFERENCES departments (id),
	region_code TEXT NOT NULL,
	valid_from TIMESTAMPTZ,
	valid_until TIMESTAMPTZ,
	tags TEXT NOT NULL DEFAULT '[]',
	status TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 0,
	rev INTEGER NOT NULL DEFAULT 1,
	changed BOOLEAN NOT NULL DEFAULT TRUE,
	views BIGINT NOT NULL DEFAULT 0,
	uses BIGINT NOT NULL DEFAULT 0,
	created_by BIGINT NOT NULL,
	created_by_name TEXT NOT NULL,
	updated_by BIGINT NOT NULL,
	updated_by_name TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX kb_articles_dept ON kb_articles (department_id, status);
CREATE INDEX kb_articles_region ON kb_articles (region_code, status);

-- One row per publish: an immutable snapshot of what was published. The
-- trigger refuses any change, so the history can be trusted.
CREATE TABLE kb_versions (
	article_id BIGINT NOT NULL REFERENCES kb_articles (id),
	version INTEGER NOT NULL,
	title TEXT NOT NULL,
	questions TEXT NOT NULL,
	answer TEXT NOT NULL,
	category_code TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	valid_from TIMESTAMPTZ,
	valid_until TIMESTAMPTZ,
	tags TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	published_by BIGINT NOT NULL,
	published_by_name TEXT NOT NULL,
	published_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (article_id, version)
);
CREATE INDEX kb_versions_category ON kb_versions (category_code);
CREATE FUNCTION kb_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'kb_versions is append-only';
END $$;
CREATE TRIGGER kb_versions_no_change BEFORE UPDATE OR DELETE ON kb_versions
	FOR EACH ROW EXECUTE FUNCTION kb_versions_append_only();

-- Each time an operator used an article to answer a caller at intake.
CREATE TABLE kb_uses (
	id BIGSERIAL PRIMARY KEY,
	article_id BIGINT NOT NULL REFERENCES kb_articles (id),
	version INTEGER NOT NULL,
	order_ref TEXT NOT NULL,
	actor_id BIGINT NOT NULL,
	used_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX kb_uses_article ON kb_uses (article_id, used_at);
