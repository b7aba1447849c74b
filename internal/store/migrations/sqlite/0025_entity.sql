-- The register of businesses (经营主体名录), keyed by 统一社会信用代码. The
-- legal representative's ID number is sealed (pii.Box) with a blind index.
-- Capital is in yuan; dates are YYYY-MM-DD.
CREATE TABLE entities (
	uscc TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	legal_rep TEXT NOT NULL,
	legal_rep_id_enc TEXT NOT NULL,
	legal_rep_id_index TEXT NOT NULL,
	address TEXT NOT NULL,
	region_code TEXT NOT NULL,
	industry TEXT NOT NULL,
	capital_yuan INTEGER NOT NULL,
	established_on TEXT NOT NULL,
	status TEXT NOT NULL,
	scope TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	version INTEGER NOT NULL
);
CREATE INDEX entities_name ON entities (name);
CREATE INDEX entities_region ON entities (region_code, industry);
CREATE INDEX entities_legal_rep ON entities (legal_rep_id_index);
-- What changed, field by field (变更记录).
CREATE TABLE entity_history (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	field TEXT NOT NULL,
	old_value TEXT NOT NULL,
	new_value TEXT NOT NULL,
	source TEXT NOT NULL,
	changed_at TIMESTAMP NOT NULL,
	changed_by INTEGER NOT NULL
);
CREATE INDEX entity_history_uscc ON entity_history (uscc, id);
-- Typed facts shared by departments (职工人数, 纳税额, 高新技术企业, …).
CREATE TABLE entity_facts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	name TEXT NOT NULL,
	type TEXT NOT NULL,
	value TEXT NOT NULL,
	as_of TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	recorded_at TIMESTAMP NOT NULL,
	recorded_by INTEGER NOT NULL
);
CREATE INDEX entity_facts_uscc ON entity_facts (uscc, name, as_of, id);
