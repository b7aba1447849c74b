-- Service-item catalogue (事项目录): the working copy of each item with its
-- materials and form fields, the immutable published versions, and the
-- template and example files of materials, stored by SHA-256.
CREATE TABLE catalog_items (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	code TEXT NOT NULL,
	region_code TEXT NOT NULL,
	name TEXT NOT NULL,
	short_name TEXT NOT NULL,
	department_id INTEGER NOT NULL REFERENCES departments (id),
	item_type TEXT NOT NULL,
	legal_basis TEXT NOT NULL,
	conditions TEXT NOT NULL,
	review_standard TEXT NOT NULL,
	legal_limit_days INTEGER NOT NULL,
	promised_limit_days INTEGER NOT NULL,
	kind TEXT NOT NULL,
	fee_fen INTEGER NOT NULL,
	fee_basis TEXT NOT NULL,
	window_address TEXT NOT NULL,
	window_hours TEXT NOT NULL,
	window_phone TEXT NOT NULL,
	online BOOLEAN NOT NULL,
	cross_region BOOLEAN NOT NULL,
	scope_regions TEXT NOT NULL,
	certificate_type TEXT NOT NULL,
	commitment BOOLEAN NOT NULL,
	rule_expr TEXT NOT NULL,
	rule_version INTEGER NOT NULL,
	rule_examples TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	version INTEGER NOT NULL,
	dirty BOOLEAN NOT NULL,
	withdraw_reason TEXT NOT NULL,
	row_version INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	updated_by INTEGER NOT NULL,
	UNIQUE (region_code, code)
);
CREATE INDEX catalog_items_code ON catalog_items (code);
CREATE INDEX catalog_items_department ON catalog_items (department_id);

CREATE TABLE catalog_materials (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id INTEGER NOT NULL REFERENCES catalog_items (id),
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	class TEXT NOT NULL,
	copies INTEGER NOT NULL,
	form TEXT NOT NULL,
	note TEXT NOT NULL,
	certificate_type TEXT NOT NULL,
	commitment_replaceable BOOLEAN NOT NULL,
	template TEXT NOT NULL,
	example TEXT NOT NULL
);
CREATE INDEX catalog_materials_item ON catalog_materials (item_id, position);

CREATE TABLE catalog_fields (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id INTEGER NOT NULL REFERENCES catalog_items (id),
	position INTEGER NOT NULL,
	field_key TEXT NOT NULL,
	label TEXT NOT NULL,
	label_en TEXT NOT NULL,
	field_type TEXT NOT NULL,
	required BOOLEAN NOT NULL,
	options TEXT NOT NULL,
	help TEXT NOT NULL
);
CREATE INDEX catalog_fields_item ON catalog_fields (item_id, position);

-- One row per published version; snapshot is the whole item as JSON and is
-- never updated. The other columns repeat what the public list filters on.
CREATE TABLE catalog_versions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	item_id INTEGER NOT NULL REFERENCES catalog_items (id),
	version INTEGER NOT NULL,
	code TEXT NOT NULL,
	region_code TEXT NOT NULL,
	name TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	item_type TEXT NOT NULL,
	online BOOLEAN NOT NULL,
	instant BOOLEAN NOT NULL,
	cross_region BOOLEAN NOT NULL,
	search_text TEXT NOT NULL,
	snapshot TEXT NOT NULL,
	published_at TIMESTAMP NOT NULL,
	published_by INTEGER NOT NULL,
	published_by_name TEXT NOT NULL,
	UNIQUE (item_id, version)
);
CREATE INDEX catalog_versions_code ON catalog_versions (code, version);

CREATE TABLE catalog_files (
	sha256 TEXT PRIMARY KEY,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	data BLOB NOT NULL,
	created_at TIMESTAMP NOT NULL
);
