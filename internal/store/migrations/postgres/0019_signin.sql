-- Sign-in hardening. A password set by an administrator (a new user, a
-- reset) must be changed by its holder at the next sign-in.
ALTER TABLE users ADD COLUMN password_change_required BOOLEAN NOT NULL DEFAULT FALSE;

-- Failed sign-in counters, shared by every node. key is the SHA-256 (hex)
-- of what is counted: a client address, a username (whether or not an
-- account has it, so that throttling tells nothing about which exist), or
-- a (username, address) pair; subject is the SHA-256 of the username for
-- username and pair rows, so that an administrator's reset can clear them.
-- succeeded_at marks a pair that signed in, whose address is then not slowed
-- by failures made elsewhere against the same username.
CREATE TABLE signin_throttle (
	key TEXT PRIMARY KEY,
	subject TEXT NOT NULL DEFAULT '',
	failures INTEGER NOT NULL DEFAULT 0,
	failed_at TIMESTAMP,
	succeeded_at TIMESTAMP
);
CREATE INDEX signin_throttle_subject ON signin_throttle (subject) WHERE subject <> '';
CREATE INDEX signin_throttle_failed ON signin_throttle (failed_at);
