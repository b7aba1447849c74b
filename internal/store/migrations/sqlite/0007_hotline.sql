-- 12345 hotline: the category tree (GB/T 39666 style), the limits per order
-- type, the dispatch directory, work orders and their daily numbering.
CREATE TABLE hotline_categories (
	code TEXT PRIMARY KEY,
	parent_code TEXT NOT NULL,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL,
	active BOOLEAN NOT NULL
);

CREATE TABLE hotline_limits (
	order_type TEXT PRIMARY KEY,
	sign_n INTEGER NOT NULL,
	sign_unit TEXT NOT NULL,
	urgent_sign_n INTEGER NOT NULL,
	urgent_sign_unit TEXT NOT NULL,
	handle_n INTEGER NOT NULL,
	handle_unit TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	updated_by INTEGER NOT NULL
);

CREATE TABLE hotline_directory (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	category_code TEXT NOT NULL,
	region_code TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	note TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	UNIQUE (category_code, region_code)
);

CREATE TABLE hotline_sequences (
	day TEXT PRIMARY KEY,
	last INTEGER NOT NULL
);

-- assist_department_ids is a ",a,b," list like flow_instances.department_ids.
CREATE TABLE hotline_orders (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	number TEXT NOT NULL UNIQUE,
	channel TEXT NOT NULL,
	order_type TEXT NOT NULL,
	category_code TEXT NOT NULL,
	title TEXT NOT NULL,
	content TEXT NOT NULL,
	caller_name TEXT NOT NULL,
	caller_phone TEXT NOT NULL,
	caller_phone_idx TEXT NOT NULL,
	caller_user_id INTEGER NOT NULL,
	taken_by INTEGER NOT NULL,
	uscc TEXT NOT NULL,
	region_code TEXT NOT NULL,
	address TEXT NOT NULL,
	lat REAL,
	lng REAL,
	urgent BOOLEAN NOT NULL,
	confidential BOOLEAN NOT NULL,
	status TEXT NOT NULL,
	instance_id INTEGER NOT NULL,
	lead_department_id INTEGER NOT NULL,
	assist_department_ids TEXT NOT NULL,
	merged_into INTEGER,
	source_ref TEXT NOT NULL,
	direct_closed BOOLEAN NOT NULL,
	reply_text TEXT NOT NULL,
	replied_at TIMESTAMP,
	dispatched_at TIMESTAMP,
	signed_at TIMESTAMP,
	closed_at TIMESTAMP,
	visit_solved BOOLEAN,
	visit_satisfaction TEXT NOT NULL,
	visit_note TEXT NOT NULL,
	visited_at TIMESTAMP,
	reopen_count INTEGER NOT NULL,
	transfer_outcome TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX hotline_orders_phone ON hotline_orders (caller_phone_idx, created_at);
CREATE INDEX hotline_orders_place ON hotline_orders (region_code, address, created_at);
CREATE INDEX hotline_orders_status ON hotline_orders (status, created_at);
CREATE INDEX hotline_orders_caller ON hotline_orders (caller_user_id);
CREATE INDEX hotline_orders_lead ON hotline_orders (lead_department_id, status);
CREATE INDEX hotline_orders_merged ON hotline_orders (merged_into);
CREATE INDEX hotline_orders_source ON hotline_orders (source_ref);
