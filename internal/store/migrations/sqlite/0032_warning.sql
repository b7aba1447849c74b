-- Early warnings (预警) of credit supervision. One open warning per rule and
-- business (warnings_open); dates are YYYY-MM-DD on the working-day calendar.
CREATE TABLE warnings (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	rule_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	uscc TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	prompt BOOLEAN NOT NULL,
	detail TEXT NOT NULL,
	raised_on TEXT NOT NULL,
	due_on TEXT NOT NULL,
	status TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	verified_at TIMESTAMP,
	closed_on TEXT,
	handled_by INTEGER NOT NULL DEFAULT 0,
	created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX warnings_open ON warnings (rule_id, uscc) WHERE closed_on IS NULL;
CREATE INDEX warnings_department ON warnings (department_id, status, id);
CREATE INDEX warnings_uscc ON warnings (uscc, id);
