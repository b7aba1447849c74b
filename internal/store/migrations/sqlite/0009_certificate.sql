-- Electronic certificates (电子证照): their types, the signed certificates,
-- holders' consents to sharing, every use of a certificate by a department,
-- and verification requests between departments (部门核验).
CREATE TABLE certificate_types (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL,
	issuer_department_id INTEGER NOT NULL,
	holder_kind TEXT NOT NULL,
	validity_months INTEGER NOT NULL,
	number_prefix TEXT NOT NULL,
	fields TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);

-- holder_key finds a holder's certificates: "p:" + the blind index of the
-- identity number for a person, "e:" + the USCC for an enterprise.
CREATE TABLE certificates (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	type_code TEXT NOT NULL REFERENCES certificate_types (code),
	number TEXT NOT NULL,
	holder_kind TEXT NOT NULL,
	holder_name TEXT NOT NULL,
	holder_id_enc TEXT NOT NULL,
	holder_uscc TEXT NOT NULL,
	holder_key TEXT NOT NULL,
	holder_user_id INTEGER NOT NULL,
	issuer_department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	issued_at TIMESTAMP NOT NULL,
	valid_from TIMESTAMP NOT NULL,
	valid_until TIMESTAMP,
	fields TEXT NOT NULL,
	status TEXT NOT NULL,
	revoked_reason TEXT NOT NULL,
	revoked_at TIMESTAMP,
	revoked_by INTEGER NOT NULL,
	application_ref TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	UNIQUE (type_code, number)
);
CREATE INDEX certificates_holder ON certificates (holder_key, type_code);
CREATE INDEX certificates_issuer ON certificates (issuer_department_id, id);

-- A consent covers one certificate (certificate_id) or every certificate of
-- a type (type_code), for one department or any (department_id 0).
CREATE TABLE certificate_consents (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	holder_key TEXT NOT NULL,
	certificate_id INTEGER NOT NULL,
	type_code TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	purpose TEXT NOT NULL,
	granted_at TIMESTAMP NOT NULL,
	granted_by INTEGER NOT NULL,
	expires_at TIMESTAMP,
	revoked_at TIMESTAMP
);
CREATE INDEX certificate_consents_holder ON certificate_consents (holder_key, id);

CREATE TABLE certificate_uses (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	certificate_id INTEGER NOT NULL REFERENCES certificates (id),
	holder_key TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	actor_id INTEGER NOT NULL,
	actor_name TEXT NOT NULL,
	application_ref TEXT NOT NULL,
	purpose TEXT NOT NULL,
	consent_id INTEGER NOT NULL REFERENCES certificate_consents (id),
	used_at TIMESTAMP NOT NULL
);
CREATE INDEX certificate_uses_holder ON certificate_uses (holder_key, id);
CREATE INDEX certificate_uses_certificate ON certificate_uses (certificate_id, id);

CREATE TABLE certificate_verifications (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	from_department_id INTEGER NOT NULL,
	owner_department_id INTEGER NOT NULL,
	type_code TEXT NOT NULL REFERENCES certificate_types (code),
	holder_kind TEXT NOT NULL,
	holder_name TEXT NOT NULL,
	holder_id_enc TEXT NOT NULL,
	holder_uscc TEXT NOT NULL,
	holder_key TEXT NOT NULL,
	application_ref TEXT NOT NULL,
	question TEXT NOT NULL,
	status TEXT NOT NULL,
	result TEXT NOT NULL,
	answer TEXT NOT NULL,
	instance_id INTEGER NOT NULL,
	requested_by INTEGER NOT NULL,
	requested_at TIMESTAMP NOT NULL,
	answered_by INTEGER NOT NULL,
	answered_at TIMESTAMP
);
CREATE INDEX certificate_verifications_from ON certificate_verifications (from_department_id, id);
CREATE INDEX certificate_verifications_owner ON certificate_verifications (owner_department_id, id);
