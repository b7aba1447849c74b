-- Credit information (信用信息) about businesses, keyed by 统一社会信用代码.
-- Dates of decisions, publication, listing and removal are civil dates
-- (YYYY-MM-DD), compared as text. public_until caches the last day a record
-- is shown under the rules in force when it was written.
CREATE TABLE credit_grants (
	department_id INTEGER NOT NULL REFERENCES departments (id),
	kind TEXT NOT NULL,
	PRIMARY KEY (department_id, kind)
);
CREATE TABLE credit_records (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	kind TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	decision_no TEXT NOT NULL DEFAULT '',
	decision_date TEXT NOT NULL,
	published_on TEXT,
	withdrawn_on TEXT,
	public_until TEXT,
	legal_basis TEXT NOT NULL DEFAULT '',
	content TEXT NOT NULL DEFAULT '',
	penalty TEXT,
	created_at TIMESTAMP NOT NULL,
	created_by INTEGER NOT NULL
);
CREATE INDEX credit_records_uscc ON credit_records (uscc, decision_date, id);
CREATE UNIQUE INDEX credit_records_decision ON credit_records (department_id, kind, decision_no) WHERE decision_no <> '';
-- 经营异常名录.
CREATE TABLE credit_abnormal (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	reason TEXT NOT NULL,
	listed_on TEXT NOT NULL,
	removed_on TEXT,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	decision_no TEXT NOT NULL DEFAULT '',
	removal_decision_no TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	created_by INTEGER NOT NULL,
	removed_by INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX credit_abnormal_uscc ON credit_abnormal (uscc, listed_on);
-- 严重违法失信名单. A listing caused by three years on the abnormal list
-- names that listing (abnormal_id); it follows from the abnormal row's dates.
CREATE TABLE credit_serious (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	cause TEXT NOT NULL,
	abnormal_id INTEGER UNIQUE,
	listed_on TEXT NOT NULL,
	removed_on TEXT,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX credit_serious_uscc ON credit_serious (uscc, listed_on);
-- 信用核查: who asked about which business, why, and what they were told.
CREATE TABLE credit_checks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	purpose TEXT NOT NULL,
	allowed BOOLEAN NOT NULL,
	reasons TEXT NOT NULL,
	asked_by INTEGER NOT NULL,
	asked_by_name TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	asked_at TIMESTAMP NOT NULL
);
CREATE INDEX credit_checks_uscc ON credit_checks (uscc, asked_at);
