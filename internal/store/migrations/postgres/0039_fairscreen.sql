-- Automatic fair-competition screening (公平竞争审查): versions of the rule
-- library (draft → published → retired, kept whole; a draft whose examples
-- fail is never published) and reviewers' decisions on findings, counted
-- per rule to improve the rules.
CREATE TABLE fairscreen_libraries (
	version INTEGER PRIMARY KEY,
	status TEXT NOT NULL,
	name TEXT NOT NULL,
	content TEXT NOT NULL,
	hash TEXT NOT NULL,
	failures TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMP NOT NULL,
	created_by BIGINT NOT NULL,
	published_at TIMESTAMP,
	published_by BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE fairscreen_feedback (
	id BIGSERIAL PRIMARY KEY,
	rule_id TEXT NOT NULL,
	clause_text TEXT NOT NULL,
	confirmed INTEGER NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	reviewer BIGINT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fairscreen_feedback_rule ON fairscreen_feedback (rule_id, id);
