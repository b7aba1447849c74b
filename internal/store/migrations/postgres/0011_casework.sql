-- Applications (办件): one row per application for a service item, judged
-- under the catalogue version it was made on; its workflow instance holds
-- the state, deadlines and history. Materials are uploaded files (stored
-- once per content hash), shared e-certificates used with the holder's
-- consent, shortfalls promised by a date (容缺) or commitments (告知承诺).
CREATE TABLE casework_applications (
	id BIGSERIAL PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	item_code TEXT NOT NULL,
	item_version BIGINT NOT NULL,
	item_name TEXT NOT NULL,
	applicant_kind TEXT NOT NULL,
	applicant_user_id BIGINT NOT NULL,
	applicant_name TEXT NOT NULL,
	applicant_id_enc TEXT NOT NULL,
	applicant_id_index TEXT NOT NULL,
	applicant_uscc TEXT NOT NULL,
	agent_user_id BIGINT NOT NULL,
	agent_name TEXT NOT NULL,
	intake_region TEXT NOT NULL,
	region_code TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	form TEXT NOT NULL,
	status TEXT NOT NULL,
	commitment BOOLEAN NOT NULL,
	commitment_text TEXT NOT NULL,
	commitment_sha256 TEXT NOT NULL,
	commitment_signer TEXT NOT NULL,
	committed_at TIMESTAMPTZ NULL,
	shortfall_open BOOLEAN NOT NULL,
	shortfall_due TIMESTAMPTZ NULL,
	correction_note TEXT NOT NULL,
	decision TEXT NOT NULL,
	decision_reason TEXT NOT NULL,
	decided_at TIMESTAMPTZ NULL,
	decided_by BIGINT NOT NULL,
	decided_by_name TEXT NOT NULL,
	rule_version BIGINT NOT NULL,
	rule_inputs TEXT NOT NULL,
	certificate_id BIGINT NOT NULL,
	delivery TEXT NOT NULL,
	delivery_address TEXT NOT NULL,
	instance_id BIGINT NOT NULL,
	verification_instance_id BIGINT NOT NULL,
	verification_result TEXT NOT NULL,
	verified_at TIMESTAMPTZ NULL,
	credit_record_id BIGINT NOT NULL,
	submitted_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	finished_at TIMESTAMPTZ NULL,
	row_version BIGINT NOT NULL
);
CREATE INDEX casework_applications_applicant ON casework_applications (applicant_user_id, id);
CREATE INDEX casework_applications_uscc ON casework_applications (applicant_uscc, id);
CREATE INDEX casework_applications_department ON casework_applications (department_id, status, id);
CREATE INDEX casework_applications_region ON casework_applications (intake_region, id);
CREATE INDEX casework_applications_shortfall ON casework_applications (shortfall_open, shortfall_due);

-- provision: upload, certificate, verification, shortfall, commitment, none.
CREATE TABLE casework_materials (
	id BIGSERIAL PRIMARY KEY,
	application_id BIGINT NOT NULL REFERENCES casework_applications (id),
	position BIGINT NOT NULL,
	name TEXT NOT NULL,
	class TEXT NOT NULL,
	provision TEXT NOT NULL,
	file_sha256 TEXT NOT NULL,
	file_name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	certificate_id BIGINT NOT NULL,
	certificate_type TEXT NOT NULL,
	consent_id BIGINT NOT NULL,
	verification_id BIGINT NOT NULL,
	due_at TIMESTAMPTZ NULL,
	supplied_at TIMESTAMPTZ NULL,
	UNIQUE (application_id, position)
);

CREATE TABLE casework_files (
	sha256 TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

-- One counter per number prefix (region and day) for application numbers.
CREATE TABLE casework_counters (
	prefix TEXT PRIMARY KEY,
	last BIGINT NOT NULL
);

-- Credit records written by casework (e.g. a false commitment) until the
-- credit module takes them over. subject_key: "e:" + USCC, or "p:" + the
-- blind index of the identity number.
CREATE TABLE casework_credit_records (
	id BIGSERIAL PRIMARY KEY,
	subject_key TEXT NOT NULL,
	subject_name TEXT NOT NULL,
	kind TEXT NOT NULL,
	application_id BIGINT NOT NULL,
	application_number TEXT NOT NULL,
	note TEXT NOT NULL,
	recorded_at TIMESTAMPTZ NOT NULL,
	recorded_by BIGINT NOT NULL,
	repaired_at TIMESTAMPTZ NULL
);
CREATE INDEX casework_credit_records_subject ON casework_credit_records (subject_key, kind);

-- The serious-violations list (严重违法失信名单) as casework knows it.
CREATE TABLE casework_serious_violations (
	id BIGSERIAL PRIMARY KEY,
	subject_key TEXT NOT NULL,
	subject_name TEXT NOT NULL,
	reason TEXT NOT NULL,
	listed_at TIMESTAMPTZ NOT NULL,
	listed_by BIGINT NOT NULL,
	removed_at TIMESTAMPTZ NULL
);
CREATE INDEX casework_serious_violations_subject ON casework_serious_violations (subject_key);
