-- The hotline staff's day (issue 13): why an order was sent back (退单) and
-- which department the refusing one suggests; the co-handling departments'
-- limit (协办时限) and what each contributed (opinion, a part of the reply,
-- attachments), which the lead's reply shows.
ALTER TABLE hotline_orders ADD COLUMN sent_back_at TIMESTAMP NULL;
ALTER TABLE hotline_orders ADD COLUMN sent_back_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hotline_orders ADD COLUMN sent_back_code TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN sent_back_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN sent_back_suggest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hotline_orders ADD COLUMN assist_due_at TIMESTAMP NULL;

CREATE TABLE hotline_contributions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	order_id INTEGER NOT NULL,
	department_id INTEGER NOT NULL,
	opinion TEXT NOT NULL,
	reply_part TEXT NOT NULL,
	author_id INTEGER NOT NULL,
	author_name TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX hotline_contributions_order ON hotline_contributions (order_id, id);

CREATE TABLE hotline_contribution_files (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	contribution_id INTEGER NOT NULL,
	order_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	data BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX hotline_contribution_files_order ON hotline_contribution_files (order_id, contribution_id);

-- The dispatchers' queue of pending extension requests reads them by status.
CREATE INDEX flow_extensions_status ON flow_extensions (status, id);
