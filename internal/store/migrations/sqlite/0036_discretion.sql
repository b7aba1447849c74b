-- Outcomes of the discretion engine's proposals in penalty cases, and the
-- activities of the 721 method (service, management, enforcement), for the
-- figures of 包容审慎监管.
CREATE TABLE discretion_outcomes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	case_ref TEXT NOT NULL UNIQUE,
	department_code TEXT NOT NULL,
	matter_code TEXT NOT NULL,
	proposed TEXT NOT NULL,
	decided TEXT NOT NULL,
	fine_fen INTEGER NOT NULL,
	departed BOOLEAN NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	first_violation BOOLEAN NOT NULL,
	education BOOLEAN NOT NULL,
	version TEXT NOT NULL,
	decided_on TEXT NOT NULL
);
CREATE INDEX discretion_outcomes_dept ON discretion_outcomes (department_code, decided_on);
CREATE TABLE discretion_activities (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	department_code TEXT NOT NULL,
	kind TEXT NOT NULL,
	ref TEXT NOT NULL,
	on_date TEXT NOT NULL,
	UNIQUE (kind, ref)
);
CREATE INDEX discretion_activities_dept ON discretion_activities (department_code, on_date);
