-- The hotline staff's day (issue 13): why an order was sent back (退单) and
-- which department the refusing one suggests; the co-handling departments'
-- limit (协办时限) and what each contributed (opinion, a part of the reply,
-- attachments), which the lead's reply shows.
ALTER TABLE hotline_orders ADD COLUMN sent_back_at TIMESTAMPTZ NULL;
ALTER TABLE hotline_orders ADD COLUMN sent_back_by BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hotline_orders ADD COLUMN sent_back_code TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN sent_back_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN sent_back_suggest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE hotline_orders ADD COLUMN assist_due_at TIMESTAMPTZ NULL;

CREATE TABLE hotline_contributions (
	id BIGSERIAL PRIMARY KEY,
	order_id BIGINT NOT NULL,
	department_id BIGINT NOT NULL,
	opinion TEXT NOT NULL,
	reply_part TEXT NOT NULL,
	author_id BIGINT NOT NULL,
	author_name TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX hotline_contributions_order ON hotline_contributions (order_id, id);

CREATE TABLE hotline_contribution_files (
	id BIGSERIAL PRIMARY KEY,
	contribution_id BIGINT NOT NULL,
	order_id BIGINT NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	data BYTEA NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX hotline_contribution_files_order ON hotline_contribution_files (order_id, contribution_id);

-- The dispatchers' queue of pending extension requests reads them by status.
CREATE INDEX flow_extensions_status ON flow_extensions (status, id);
