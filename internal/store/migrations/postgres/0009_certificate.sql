-- Electronic certificates (电子证照): their types, the signed certificates,
-- holders' consents to sharing, every use of a certificate by a department,
-- and verification requests between departments (部门核验).
CREATE TABLE certificate_types (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL,
	issuer_department_id BIGINT NOT NULL,
	holder_kind TEXT NOT NULL,
	validity_months BIGINT NOT NULL,
	number_prefix TEXT NOT NULL,
	fields TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);

-- holder_key finds a holder's certificates: "p:" + the blind index of the
-- identity number for a person, "e:" + the USCC for an enterprise.
CREATE TABLE certificates (
	id BIGSERIAL PRIMARY KEY,
	type_code TEXT NOT NULL REFERENCES certificate_types (code),
	number TEXT NOT NULL,
	holder_kind TEXT NOT NULL,
	holder_name TEXT NOT NULL,
	holder_id_enc TEXT NOT NULL,
	holder_uscc TEXT NOT NULL,
	holder_key TEXT NOT NULL,
	holder_user_id BIGINT NOT NULL,
	issuer_department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	issued_at TIMESTAMPTZ NOT NULL,
	valid_from TIMESTAMPTZ NOT NULL,
	valid_until TIMESTAMPTZ,
	fields TEXT NOT NULL,
	status TEXT NOT NULL,
	revoked_reason TEXT NOT NULL,
	revoked_at TIMESTAMPTZ,
	revoked_by BIGINT NOT NULL,
	application_ref TEXT NOT NULL,
	algorithm TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL,
	created_by BIGINT NOT NULL,
	UNIQUE (type_code, number)
);
CREATE INDEX certificates_holder ON certificates (holder_key, type_code);
CREATE INDEX certificates_issuer ON certificates (issuer_department_id, id);

-- A consent covers one certificate (certificate_id) or every certificate of
-- a type (type_code), for one department or any (department_id 0).
CREATE TABLE certificate_consents (
	id BIGSERIAL PRIMARY KEY,
	holder_key TEXT NOT NULL,
	certificate_id BIGINT NOT NULL,
	type_code TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	purpose TEXT NOT NULL,
	granted_at TIMESTAMPTZ NOT NULL,
	granted_by BIGINT NOT NULL,
	expires_at TIMESTAMPTZ,
	revoked_at TIMESTAMPTZ
);
CREATE INDEX certificate_consents_holder ON certificate_consents (holder_key, id);

CREATE TABLE certificate_uses (
	id BIGSERIAL PRIMARY KEY,
	certificate_id BIGINT NOT NULL REFERENCES certificates (id),
	holder_key TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	actor_id BIGINT NOT NULL,
	actor_name TEXT NOT NULL,
	application_ref TEXT NOT NULL,
	purpose TEXT NOT NULL,
	consent_id BIGINT NOT NULL REFERENCES certificate_consents (id),
	used_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX certificate_uses_holder ON certificate_uses (holder_key, id);
CREATE INDEX certificate_uses_certificate ON certificate_uses (certificate_id, id);

CREATE TABLE certificate_verifications (
	id BIGSERIAL PRIMARY KEY,
	from_department_id BIGINT NOT NULL,
	owner_department_id BIGINT NOT NULL,
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
	instance_id BIGINT NOT NULL,
	requested_by BIGINT NOT NULL,
	requested_at TIMESTAMPTZ NOT NULL,
	answered_by BIGINT NOT NULL,
	answered_at TIMESTAMPTZ
);
CREATE INDEX certificate_verifications_from ON certificate_verifications (from_department_id, id);
CREATE INDEX certificate_verifications_owner ON certificate_verifications (owner_department_id, id);
