-- Fair-competition review (公平竞争审查) of draft measures: the draft, its
-- review stages, comments heard (第十六条), public reports (第二十二条) and
-- spot checks (第二十一条). Dates are YYYY-MM-DD on the working-day calendar.
CREATE TABLE fr_measures (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	touches BOOLEAN NOT NULL,
	no_review_reason TEXT NOT NULL DEFAULT '',
	county_level BOOLEAN NOT NULL,
	to_congress BOOLEAN NOT NULL,
	status TEXT NOT NULL,
	findings TEXT NOT NULL DEFAULT '[]',
	self_review TEXT NOT NULL DEFAULT '',
	exception TEXT NOT NULL DEFAULT '',
	joint_opinion TEXT NOT NULL DEFAULT '',
	legal_opinion TEXT NOT NULL DEFAULT '',
	conclusion TEXT NOT NULL DEFAULT '',
	reviewed_body TEXT NOT NULL DEFAULT '',
	issued_body TEXT NOT NULL DEFAULT '',
	comment_from TEXT NOT NULL DEFAULT '',
	comment_until TEXT NOT NULL DEFAULT '',
	stage_due_on TEXT NOT NULL DEFAULT '',
	issued_on TEXT NOT NULL DEFAULT '',
	created_by INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fr_measures_department ON fr_measures (department_id, id);
CREATE INDEX fr_measures_status ON fr_measures (status, id);
CREATE TABLE fr_comments (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	measure_id INTEGER NOT NULL REFERENCES fr_measures (id),
	source TEXT NOT NULL,
	body TEXT NOT NULL,
	given_on TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fr_comments_measure ON fr_comments (measure_id, id);
CREATE TABLE fr_reports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	measure_id INTEGER NOT NULL REFERENCES fr_measures (id),
	token TEXT NOT NULL UNIQUE,
	body TEXT NOT NULL,
	phone_enc TEXT NOT NULL,
	received_on TEXT NOT NULL,
	due_on TEXT NOT NULL,
	answer TEXT NOT NULL DEFAULT '',
	answered_on TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fr_reports_measure ON fr_reports (measure_id, id);
CREATE TABLE fr_spot_checks (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	seed INTEGER NOT NULL,
	drawn TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL
);
