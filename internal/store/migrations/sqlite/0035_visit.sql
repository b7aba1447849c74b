-- On-site inspections (检查实施): assignments handed over by draws, monitoring
-- and departments, merged into visits (综合查一次). Dates are YYYY-MM-DD on
-- the working-day calendar; the publication limit is publish_due_on.
CREATE TABLE visits (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	lead_department_id INTEGER NOT NULL,
	joint BOOLEAN NOT NULL,
	window_from TIMESTAMP NOT NULL,
	window_to TIMESTAMP NOT NULL,
	status TEXT NOT NULL,
	completed_on TEXT NOT NULL DEFAULT '',
	publish_due_on TEXT NOT NULL DEFAULT '',
	published_on TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX visits_uscc ON visits (uscc, status, id);
CREATE INDEX visits_due ON visits (status, publish_due_on);
CREATE TABLE visit_assignments (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	visit_id INTEGER NOT NULL REFERENCES visits (id),
	source TEXT NOT NULL,
	task_ref TEXT NOT NULL,
	item_code TEXT NOT NULL,
	item_name TEXT NOT NULL,
	checklist TEXT NOT NULL,
	legal_basis TEXT NOT NULL,
	key_item BOOLEAN NOT NULL,
	department_id INTEGER NOT NULL,
	joint_task_ref TEXT NOT NULL,
	uscc TEXT NOT NULL,
	inspectors TEXT NOT NULL,
	window_from TIMESTAMP NOT NULL,
	window_to TIMESTAMP NOT NULL,
	reason TEXT NOT NULL,
	result TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX visit_assignments_key ON visit_assignments (source, task_ref, item_code, uscc);
CREATE INDEX visit_assignments_visit ON visit_assignments (visit_id, id);
CREATE INDEX visit_assignments_department ON visit_assignments (department_id, created_at);
CREATE TABLE visit_inspectors (
	visit_id INTEGER NOT NULL REFERENCES visits (id),
	user_id INTEGER NOT NULL,
	department_id INTEGER NOT NULL,
	PRIMARY KEY (visit_id, user_id)
);
CREATE INDEX visit_inspectors_user ON visit_inspectors (user_id, visit_id);
-- Result submissions by idempotency key: a re-sent form is a no-op.
CREATE TABLE visit_submissions (
	idempotency_key TEXT PRIMARY KEY,
	visit_id INTEGER NOT NULL REFERENCES visits (id),
	created_at TIMESTAMP NOT NULL
);
-- Evidence (全过程记录): photos, recordings and the signature, stored by
-- SHA-256 of the stored bytes (after metadata stripping); each is also
-- entered in the audit record with its hash.
CREATE TABLE visit_evidence (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	visit_id INTEGER NOT NULL REFERENCES visits (id),
	kind TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	data BLOB NOT NULL,
	created_by INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX visit_evidence_hash ON visit_evidence (visit_id, sha256);
