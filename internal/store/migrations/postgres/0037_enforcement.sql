-- Penalty cases (行政处罚案件) of package enforcement. The columns lists and
-- scope checks filter on are columns; the rest of a case (facts, the
-- discretion proposal, the intended penalty, the decision) is the JSON doc.
CREATE TABLE enforcement_cases (
	id BIGSERIAL PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	procedure TEXT NOT NULL,
	status TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	party_kind TEXT NOT NULL,
	party_name TEXT NOT NULL,
	party_uscc TEXT NOT NULL DEFAULT '',
	party_id_sealed TEXT NOT NULL DEFAULT '',
	matter_code TEXT NOT NULL,
	level TEXT NOT NULL DEFAULT '',
	time_barred BOOLEAN NOT NULL DEFAULT FALSE,
	lead_instance_id BIGINT NOT NULL DEFAULT 0,
	case_instance_id BIGINT NOT NULL DEFAULT 0,
	doc TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	created_by BIGINT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	row_version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX enforcement_cases_department ON enforcement_cases (department_id, created_at, id);
CREATE INDEX enforcement_cases_party ON enforcement_cases (party_uscc, id);
CREATE INDEX enforcement_cases_status ON enforcement_cases (status, id);

-- Evidence (证据) stored by content hash; each upload is entered in the audit log.
CREATE TABLE enforcement_evidence (
	id BIGSERIAL PRIMARY KEY,
	case_id BIGINT NOT NULL REFERENCES enforcement_cases (id),
	sha256 TEXT NOT NULL,
	name TEXT NOT NULL,
	mime TEXT NOT NULL,
	size BIGINT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	created_by BIGINT NOT NULL
);
CREATE UNIQUE INDEX enforcement_evidence_hash ON enforcement_evidence (case_id, sha256);
CREATE TABLE enforcement_blobs (
	sha256 TEXT PRIMARY KEY,
	content BYTEA NOT NULL
);
