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
	sign_n BIGINT NOT NULL,
	sign_unit TEXT NOT NULL,
	urgent_sign_n BIGINT NOT NULL,
	urgent_sign_unit TEXT NOT NULL,
	handle_n BIGINT NOT NULL,
	handle_unit TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	updated_by BIGINT NOT NULL
);

CREATE TABLE hotline_directory (
	id BIGSERIAL PRIMARY KEY,
	category_code TEXT NOT NULL,
	region_code TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	note TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	UNIQUE (category_code, region_code)
);

CREATE TABLE hotline_sequences (
	day TEXT PRIMARY KEY,
	last BIGINT NOT NULL
);

-- assist_department_ids is a ",a,b," list like flow_instances.department_ids.
CREATE TABLE hotline_orders (
	id BIGSERIAL PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	channel TEXT NOT NULL,
	order_type TEXT NOT NULL,
	category_code TEXT NOT NULL,
	title TEXT NOT NULL,
	content TEXT NOT NULL,
	caller_name TEXT NOT NULL,
	caller_phone TEXT NOT NULL,
	caller_phone_idx TEXT NOT NULL,
	caller_user_id BIGINT NOT NULL,
	taken_by BIGINT NOT NULL,
	uscc TEXT NOT NULL,
	region_code TEXT NOT NULL,
	address TEXT NOT NULL,
	lat DOUBLE PRECISION,
	lng DOUBLE PRECISION,
	urgent BOOLEAN NOT NULL,
	confidential BOOLEAN NOT NULL,
	status TEXT NOT NULL,
	instance_id BIGINT NOT NULL,
	lead_department_id BIGINT NOT NULL,
	assist_department_ids TEXT NOT NULL,
	merged_into BIGINT,
	source_ref TEXT NOT NULL,
	direct_closed BOOLEAN NOT NULL,
	reply_text TEXT NOT NULL,
	replied_at TIMESTAMPTZ,
	dispatched_at TIMESTAMPTZ,
	signed_at TIMESTAMPTZ,
	closed_at TIMESTAMPTZ,
	visit_solved BOOLEAN,
	visit_satisfaction TEXT NOT NULL,
	visit_note TEXT NOT NULL,
	visited_at TIMESTAMPTZ,
	reopen_count BIGINT NOT NULL,
	transfer_outcome TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX hotline_orders_phone ON hotline_orders (caller_phone_idx, created_at);
CREATE INDEX hotline_orders_place ON hotline_orders (region_code, address, created_at);
CREATE INDEX hotline_orders_status ON hotline_orders (status, created_at);
CREATE INDEX hotline_orders_caller ON hotline_orders (caller_user_id);
CREATE INDEX hotline_orders_lead ON hotline_orders (lead_department_id, status);
CREATE INDEX hotline_orders_merged ON hotline_orders (merged_into);
CREATE INDEX hotline_orders_source ON hotline_orders (source_ref);
