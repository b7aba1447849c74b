-- Web submissions by citizens and businesses (hotline submit pages).
-- not_public: the submitter did not agree that the request be shown in the
-- public listing (Open311); Order.Public and Filter.Public read it.
ALTER TABLE hotline_orders ADD COLUMN not_public BOOLEAN NOT NULL DEFAULT FALSE;

-- Photos a submitter attached, stored once per content (as casework_files),
-- with their EXIF metadata (GPS position among it) removed before storing.
CREATE TABLE hotline_files (
	sha256 TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE hotline_order_photos (
	order_id BIGINT NOT NULL REFERENCES hotline_orders (id),
	position BIGINT NOT NULL,
	sha256 TEXT NOT NULL REFERENCES hotline_files (sha256),
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	created_by BIGINT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (order_id, position)
);

-- The tracking link of an anonymous submitter: the keyed hash of the token
-- (the token itself is never stored).
CREATE TABLE hotline_track_tokens (
	token_idx TEXT PRIMARY KEY,
	order_id BIGINT NOT NULL UNIQUE REFERENCES hotline_orders (id),
	created_at TIMESTAMPTZ NOT NULL
);
