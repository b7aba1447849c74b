-- Credit repair (信用修复), the 专用信用报告 and the reminders of records
-- that may be repaired. A granted repair ends a record's publication on the
-- decision date (repaired_on).
ALTER TABLE credit_records ADD COLUMN repaired_on TEXT;
CREATE TABLE credit_repairs (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	record_id INTEGER NOT NULL REFERENCES credit_records (id),
	uscc TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	status TEXT NOT NULL,
	correction TEXT NOT NULL,
	commitment TEXT NOT NULL,
	applied_on TEXT NOT NULL,
	due_on TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL,
	applied_by INTEGER NOT NULL,
	decided_on TEXT,
	decided_by INTEGER NOT NULL DEFAULT 0,
	decision_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX credit_repairs_record ON credit_repairs (record_id, id);
CREATE INDEX credit_repairs_uscc ON credit_repairs (uscc, id);
CREATE INDEX credit_repairs_department ON credit_repairs (department_id, status, id);
-- At most one open application per record.
CREATE UNIQUE INDEX credit_repairs_open ON credit_repairs (record_id) WHERE status = 'pending';
-- The proof of correction uploaded with an application.
CREATE TABLE credit_repair_files (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	repair_id INTEGER NOT NULL REFERENCES credit_repairs (id),
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	data BLOB NOT NULL
);
CREATE INDEX credit_repair_files_repair ON credit_repair_files (repair_id);
-- One reminder per record once it may be repaired.
CREATE TABLE credit_repair_reminders (
	record_id INTEGER PRIMARY KEY,
	uscc TEXT NOT NULL,
	sent_at TIMESTAMP NOT NULL
);
-- 专用信用报告: what was found per field for a period, signed.
CREATE TABLE credit_reports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL UNIQUE,
	uscc TEXT NOT NULL,
	name TEXT NOT NULL,
	period_from TEXT NOT NULL,
	period_to TEXT NOT NULL,
	content TEXT NOT NULL,
	issued_at TIMESTAMP NOT NULL,
	issued_by INTEGER NOT NULL,
	algorithm TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL
);
CREATE INDEX credit_reports_uscc ON credit_reports (uscc, id);
