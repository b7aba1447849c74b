-- Audit log: append-only, hash-chained record of every decision. seq is
-- assigned by the audit package (not a sequence) so that a deleted entry
-- shows as a gap. detail is TEXT, not JSONB: it must stay the exact JSON text
-- that was hashed.
CREATE TABLE audit_log (
	seq BIGINT PRIMARY KEY,
	at TIMESTAMPTZ NOT NULL,
	actor_id BIGINT NOT NULL,
	actor_name TEXT NOT NULL,
	action TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id TEXT NOT NULL,
	region_code TEXT NOT NULL,
	detail TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_region ON audit_log (region_code, seq);
CREATE INDEX audit_log_at ON audit_log (at);

-- The head of the chain: the last seq and hash. Appenders update it in their
-- own transaction; the row lock serialises them. Verify compares it with the
-- last entry so that a deleted tail is seen.
CREATE TABLE audit_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL,
	hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Outbox delivery bookkeeping. not_before holds both the claim lease and the
-- retry backoff: a pending event is due when it is NULL or has passed.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN not_before TIMESTAMPTZ;
ALTER TABLE outbox ADD COLUMN claim_token TEXT;
