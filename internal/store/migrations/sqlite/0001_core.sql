-- Outbox: events written in the same transaction as the change they announce,
-- delivered afterwards by a worker.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	topic TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	delivered_at TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox (id) WHERE delivered_at IS NULL;
