-- Outbox: events written in the same transaction as the change they announce,
-- delivered afterwards by a worker.
CREATE TABLE outbox (
	id BIGSERIAL PRIMARY KEY,
	topic TEXT NOT NULL,
	payload JSONB NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	delivered_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
