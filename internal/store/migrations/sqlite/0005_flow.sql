-- Workflow engine: definitions (versioned data), running instances, their
-- history, escalation timers and extension requests.
CREATE TABLE flow_definitions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	def_key TEXT NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	body TEXT NOT NULL,
	checksum TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	created_by INTEGER NOT NULL,
	UNIQUE (def_key, version)
);

-- department_ids and actor_roles are ",a,b," lists so that one portable
-- LIKE finds the instances a department or a role may act on.
CREATE TABLE flow_instances (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	def_key TEXT NOT NULL,
	def_version INTEGER NOT NULL,
	subject_type TEXT NOT NULL,
	subject_id INTEGER NOT NULL,
	reference TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL DEFAULT '',
	region_code TEXT NOT NULL,
	department_ids TEXT NOT NULL,
	owner_user_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	status TEXT NOT NULL,
	actor_roles TEXT NOT NULL,
	started_at TIMESTAMP NOT NULL,
	state_entered_at TIMESTAMP NOT NULL,
	state_due_at TIMESTAMP,
	due_at TIMESTAMP,
	paused_at TIMESTAMP,
	paused_from TEXT NOT NULL,
	finished_at TIMESTAMP,
	escalation_level INTEGER NOT NULL,
	extended_days INTEGER NOT NULL,
	row_version INTEGER NOT NULL
);
CREATE INDEX flow_instances_open ON flow_instances (status, state_due_at) WHERE status <> 'done';
CREATE INDEX flow_instances_region ON flow_instances (region_code) WHERE status <> 'done';
CREATE INDEX flow_instances_subject ON flow_instances (subject_type, subject_id);
CREATE INDEX flow_instances_owner ON flow_instances (owner_user_id) WHERE status <> 'done';

CREATE TABLE flow_history (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	instance_id INTEGER NOT NULL REFERENCES flow_instances (id),
	action TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state TEXT NOT NULL,
	actor_id INTEGER NOT NULL,
	actor_name TEXT NOT NULL,
	inputs TEXT NOT NULL,
	comment TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX flow_history_instance ON flow_history (instance_id, id);

-- A held timer belongs to a paused clock; it is shifted and released when
-- the clock runs again.
CREATE TABLE flow_timers (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	instance_id INTEGER NOT NULL REFERENCES flow_instances (id),
	kind TEXT NOT NULL,
	state TEXT NOT NULL,
	level INTEGER NOT NULL,
	fire_at TIMESTAMP NOT NULL,
	fired_at TIMESTAMP,
	held BOOLEAN NOT NULL
);
CREATE INDEX flow_timers_due ON flow_timers (fire_at) WHERE fired_at IS NULL AND held = FALSE;
CREATE INDEX flow_timers_instance ON flow_timers (instance_id) WHERE fired_at IS NULL;

CREATE TABLE flow_extensions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	instance_id INTEGER NOT NULL REFERENCES flow_instances (id),
	days INTEGER NOT NULL,
	reason TEXT NOT NULL,
	requested_by INTEGER NOT NULL,
	requested_by_name TEXT NOT NULL,
	requested_at TIMESTAMP NOT NULL,
	status TEXT NOT NULL,
	granted_days INTEGER NOT NULL,
	decided_by INTEGER,
	decided_by_name TEXT NOT NULL,
	decided_at TIMESTAMP,
	decision_reason TEXT NOT NULL
);
CREATE INDEX flow_extensions_instance ON flow_extensions (instance_id, id);
