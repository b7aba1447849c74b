-- Policies that find the business (政策找人、免申即享): the policy library
-- (one row per version; a published version never changes), each
-- business's inputs as last matched (the values read, with source and
-- as-of date, from which every answer is explained), the stored results,
-- the grants with their publicity (公示), objections and payment, and the
-- bank accounts on file.
CREATE TABLE policies (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	code TEXT NOT NULL,
	title TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	source_doc TEXT NOT NULL,
	source_url TEXT NOT NULL DEFAULT '',
	valid_from TEXT NOT NULL,
	valid_until TEXT NOT NULL,
	mode TEXT NOT NULL,
	clauses TEXT NOT NULL,
	benefit TEXT NOT NULL,
	cap_fen INTEGER NOT NULL,
	budget_fen INTEGER NOT NULL,
	exclusions TEXT NOT NULL,
	publicity_days INTEGER NOT NULL,
	how_to TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	published_on TEXT NOT NULL DEFAULT '',
	expired_on TEXT NOT NULL DEFAULT '',
	created_by INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX policies_code ON policies (code);
CREATE INDEX policies_department ON policies (department_id, id);
CREATE INDEX policies_status ON policies (status, id);
CREATE TABLE policy_inputs (
	uscc TEXT PRIMARY KEY,
	inputs TEXT NOT NULL,
	matched_at TIMESTAMP NOT NULL
);
CREATE TABLE policy_matches (
	policy_id INTEGER NOT NULL,
	uscc TEXT NOT NULL,
	eligible BOOLEAN NOT NULL,
	held TEXT NOT NULL,
	refused TEXT NOT NULL DEFAULT '',
	amount_fen INTEGER NOT NULL,
	matched_at TIMESTAMP NOT NULL,
	notified_at TIMESTAMP,
	PRIMARY KEY (policy_id, uscc)
);
CREATE INDEX policy_matches_uscc ON policy_matches (uscc, policy_id);
CREATE TABLE policy_grants (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	policy_id INTEGER NOT NULL,
	uscc TEXT NOT NULL,
	region_code TEXT NOT NULL,
	status TEXT NOT NULL,
	applied BOOLEAN NOT NULL,
	amount_fen INTEGER NOT NULL,
	publicity_from TEXT NOT NULL DEFAULT '',
	publicity_until TEXT NOT NULL DEFAULT '',
	decided_on TEXT NOT NULL DEFAULT '',
	decided_by INTEGER NOT NULL DEFAULT 0,
	reason TEXT NOT NULL DEFAULT '',
	bank TEXT NOT NULL DEFAULT '',
	account TEXT NOT NULL DEFAULT '',
	paid_on TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX policy_grants_once ON policy_grants (policy_id, uscc);
CREATE INDEX policy_grants_uscc ON policy_grants (uscc, id);
CREATE TABLE policy_objections (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	grant_id INTEGER NOT NULL REFERENCES policy_grants (id),
	text TEXT NOT NULL,
	by_user INTEGER NOT NULL,
	by_name TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	answer TEXT NOT NULL DEFAULT '',
	upheld BOOLEAN NOT NULL DEFAULT FALSE,
	answered_by INTEGER NOT NULL DEFAULT 0,
	answered_at TIMESTAMP
);
CREATE INDEX policy_objections_grant ON policy_objections (grant_id, id);
CREATE TABLE policy_accounts (
	uscc TEXT PRIMARY KEY,
	bank TEXT NOT NULL,
	account TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
