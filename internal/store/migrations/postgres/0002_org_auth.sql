-- People and scope: GB/T 2260 regions, departments, users with their roles
-- and departments, and the sign-in state hanging on users (sessions, API
-- tokens). Identity and phone numbers are stored encrypted, with a keyed
-- hash beside each so that exact look-ups still work.
CREATE TABLE regions (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	parent_code TEXT REFERENCES regions (code),
	level INTEGER NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE departments (
	id BIGSERIAL PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	region_code TEXT NOT NULL REFERENCES regions (code),
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX departments_region ON departments (region_code);

CREATE TABLE users (
	id BIGSERIAL PRIMARY KEY,
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	auth_epoch INTEGER NOT NULL DEFAULT 0,
	region_code TEXT NOT NULL DEFAULT '',
	uscc TEXT NOT NULL DEFAULT '',
	citizen_id_enc TEXT NOT NULL DEFAULT '',
	citizen_id_index TEXT NOT NULL DEFAULT '',
	phone_enc TEXT NOT NULL DEFAULT '',
	phone_index TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'active',
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until TIMESTAMPTZ,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_region ON users (region_code);
CREATE INDEX users_uscc ON users (uscc) WHERE uscc <> '';
CREATE INDEX users_citizen_id ON users (citizen_id_index) WHERE citizen_id_index <> '';
CREATE INDEX users_phone ON users (phone_index) WHERE phone_index <> '';

CREATE TABLE user_roles (
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);

CREATE TABLE user_departments (
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	department_id BIGINT NOT NULL REFERENCES departments (id),
	PRIMARY KEY (user_id, department_id)
);
CREATE INDEX user_departments_department ON user_departments (department_id);

-- Only the SHA-256 of a session or API token is stored.
CREATE TABLE sessions (
	id BIGSERIAL PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	auth_epoch INTEGER NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	last_seen_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
	id BIGSERIAL PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ,
	revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
