-- 双随机、一公开: inspection items (抽查事项清单), inspectors (执法检查人员名录库),
-- tasks with their participants' commitments, and published draws. A draw
-- is kept whole as the JSON published (body), which recomputes it.
CREATE TABLE inspection_items (
	id BIGSERIAL PRIMARY KEY,
	department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	key_item BOOLEAN NOT NULL,
	legal_basis TEXT NOT NULL,
	subject_scope TEXT NOT NULL,
	method TEXT NOT NULL,
	checklist TEXT NOT NULL,
	status TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	published_at TIMESTAMP
);
CREATE INDEX inspection_items_department ON inspection_items (department_id, id);
CREATE TABLE inspection_inspectors (
	id BIGSERIAL PRIMARY KEY,
	user_id BIGINT NOT NULL UNIQUE,
	department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	certificate_valid_until TEXT NOT NULL,
	specialities TEXT NOT NULL,
	available BOOLEAN NOT NULL,
	conflicts TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL
);
CREATE INDEX inspection_inspectors_department ON inspection_inspectors (department_id, id);
CREATE TABLE inspection_tasks (
	id BIGSERIAL PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE,
	department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	name TEXT NOT NULL,
	plan_year INTEGER NOT NULL,
	item_ids TEXT NOT NULL,
	joint_ref TEXT NOT NULL,
	scope TEXT NOT NULL,
	window_from TEXT NOT NULL,
	window_to TEXT NOT NULL,
	ratios TEXT NOT NULL,
	status TEXT NOT NULL,
	pool TEXT,
	created_by BIGINT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	frozen_at TIMESTAMP
);
CREATE INDEX inspection_tasks_department ON inspection_tasks (department_id, id);
CREATE TABLE inspection_participants (
	task_id BIGINT NOT NULL,
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	user_id BIGINT NOT NULL,
	commitment TEXT NOT NULL,
	secret TEXT,
	committed_at TIMESTAMP NOT NULL,
	revealed_at TIMESTAMP,
	PRIMARY KEY (task_id, seq)
);
CREATE TABLE inspection_draws (
	id BIGSERIAL PRIMARY KEY,
	task_id BIGINT NOT NULL UNIQUE,
	task_ref TEXT NOT NULL,
	region_code TEXT NOT NULL,
	pool_size INTEGER NOT NULL,
	selected_count INTEGER NOT NULL,
	pool_hash TEXT NOT NULL,
	seed TEXT NOT NULL,
	body TEXT NOT NULL,
	published_at TIMESTAMP NOT NULL
);
-- The inspectors who inspected a business in a draw, for the avoidance of
-- the same inspector next time.
CREATE TABLE inspection_selections (
	draw_id BIGINT NOT NULL,
	uscc TEXT NOT NULL,
	inspectors TEXT NOT NULL,
	PRIMARY KEY (uscc, draw_id)
);
