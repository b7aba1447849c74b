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
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	title TEXT NOT NULL,
	questions TEXT NOT NULL DEFAULT '[]',
	answer TEXT NOT NULL,
	category_code TEXT NOT NULL,
	department_id INTEGER NOT NULL REFERENCES departments (id),
	region_code TEXT NOT NULL,
	valid_from TIMESTAMP,
	valid_until TIMESTAMP,
	tags TEXT NOT NULL DEFAULT '[]',
	status TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 0,
	rev INTEGER NOT NULL DEFAULT 1,
	changed BOOLEAN NOT NULL DEFAULT TRUE,
	views INTEGER NOT NULL DEFAULT 0,
	uses INTEGER NOT NULL DEFAULT 0,
	created_by INTEGER NOT NULL,
	created_by_name TEXT NOT NULL,
	updated_by INTEGER NOT NULL,
	updated_by_name TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX kb_articles_dept ON kb_articles (department_id, status);
CREATE INDEX kb_articles_region ON kb_articles (region_code, status);

-- One row per publish: an immutable snapshot of what was published. The
-- triggers refuse any change, so the history can be trusted.
CREATE TABLE kb_versions (
	article_id INTEGER NOT NULL REFERENCES kb_articles (id),
	version INTEGER NOT NULL,
	title TEXT NOT NULL,
	questions TEXT NOT NULL,
	answer TEXT NOT NULL,
	category_code TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	valid_from TIMESTAMP,
	valid_until TIMESTAMP,
	tags TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	published_by INTEGER NOT NULL,
	published_by_name TEXT NOT NULL,
	published_at TIMESTAMP NOT NULL,
	PRIMARY KEY (article_id, version)
);
CREATE INDEX kb_versions_category ON kb_versions (category_code);
CREATE TRIGGER kb_versions_no_update BEFORE UPDATE ON kb_versions
BEGIN SELECT RAISE(ABORT, 'kb_versions is append-only'); END;
CREATE TRIGGER kb_versions_no_delete BEFORE DELETE ON kb_versions
BEGIN SELECT RAISE(ABORT, 'kb_versions is append-only'); END;

-- Each time an operator used an article to answer a caller at intake.
CREATE TABLE kb_uses (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	article_id INTEGER NOT NULL REFERENCES kb_articles (id),
	version INTEGER NOT NULL,
	order_ref TEXT NOT NULL,
	actor_id INTEGER NOT NULL,
	used_at TIMESTAMP NOT NULL
);
CREATE INDEX kb_uses_article ON kb_uses (article_id, used_at);
