-- Applications (办件): one row per application for a service item, judged
-- under the catalogue version it was made on; its workflow instance holds
-- the state, deadlines and history. Materials are uploaded files (stored
-- once per content hash), shared e-certificates used with the holder's
-- consent, shortfalls promised by a date (容缺) or commitments (告知承诺).
CREATE TABLE casework_applications (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL UNIQUE,
	item_code TEXT NOT NULL,
	item_version INTEGER NOT NULL,
	item_name TEXT NOT NULL,
	applicant_kind TEXT NOT NULL,
	applicant_user_id INTEGER NOT NULL,
	applicant_name TEXT NOT NULL,
	applicant_id_enc TEXT NOT NULL,
	applicant_id_index TEXT NOT NULL,
	applicant_uscc TEXT NOT NULL,
	agent_user_id INTEGER NOT NULL,
	agent_name TEXT NOT NULL,
	intake_region TEXT NOT NULL,
	region_code TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	form TEXT NOT NULL,
	status TEXT NOT NULL,
	commitment BOOLEAN NOT NULL,
	commitment_text TEXT NOT NULL,
	commitment_sha256 TEXT NOT NULL,
	commitment_signer TEXT NOT NULL,
	committed_at TIMESTAMP NULL,
	shortfall_open BOOLEAN NOT NULL,
	shortfall_due TIMESTAMP NULL,
	correction_note TEXT NOT NULL,
	decision TEXT NOT NULL,
	decision_reason TEXT NOT NULL,
	decided_at TIMESTAMP NULL,
	decided_by INTEGER NOT NULL,
	decided_by_name TEXT NOT NULL,
	rule_version INTEGER NOT NULL,
	rule_inputs TEXT NOT NULL,
	certificate_id INTEGER NOT NULL,
	delivery TEXT NOT NULL,
	delivery_address TEXT NOT NULL,
	instance_id INTEGER NOT NULL,
	verification_instance_id INTEGER NOT NULL,
	verification_result TEXT NOT NULL,
	verified_at TIMESTAMP NULL,
	credit_record_id INTEGER NOT NULL,
	submitted_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP NULL,
	row_version INTEGER NOT NULL
);
CREATE INDEX casework_applications_applicant ON casework_applications (applicant_user_id, id);
CREATE INDEX casework_applications_uscc ON casework_applications (applicant_uscc, id);
CREATE INDEX casework_applications_department ON casework_applications (department_id, status, id);
CREATE INDEX casework_applications_region ON casework_applications (intake_region, id);
CREATE INDEX casework_applications_shortfall ON casework_applications (shortfall_open, shortfall_due);

-- provision: upload, certificate, verification, shortfall, commitment, none.
CREATE TABLE casework_materials (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	application_id INTEGER NOT NULL REFERENCES casework_applications (id),
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	class TEXT NOT NULL,
	provision TEXT NOT NULL,
	file_sha256 TEXT NOT NULL,
	file_name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	certificate_id INTEGER NOT NULL,
	certificate_type TEXT NOT NULL,
	consent_id INTEGER NOT NULL,
	verification_id INTEGER NOT NULL,
	due_at TIMESTAMP NULL,
	supplied_at TIMESTAMP NULL,
	UNIQUE (application_id, position)
);

CREATE TABLE casework_files (
	sha256 TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	data BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL
);

-- One counter per number prefix (region and day) for application numbers.
CREATE TABLE casework_counters (
	prefix TEXT PRIMARY KEY,
	last INTEGER NOT NULL
);

-- Credit records written by casework (e.g. a false commitment) until the
-- credit module takes them over. subject_key: "e:" + USCC, or "p:" + the
-- blind index of the identity number.
CREATE TABLE casework_credit_records (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	subject_key TEXT NOT NULL,
	subject_name TEXT NOT NULL,
	kind TEXT NOT NULL,
	application_id INTEGER NOT NULL,
	application_number TEXT NOT NULL,
	note TEXT NOT NULL,
	recorded_at TIMESTAMP NOT NULL,
	recorded_by INTEGER NOT NULL,
	repaired_at TIMESTAMP NULL
);
CREATE INDEX casework_credit_records_subject ON casework_credit_records (subject_key, kind);

-- The serious-violations list (严重违法失信名单) as casework knows it.
CREATE TABLE casework_serious_violations (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	subject_key TEXT NOT NULL,
	subject_name TEXT NOT NULL,
	reason TEXT NOT NULL,
	listed_at TIMESTAMP NOT NULL,
	listed_by INTEGER NOT NULL,
	removed_at TIMESTAMP NULL
);
CREATE INDEX casework_serious_violations_subject ON casework_serious_violations (subject_key);
