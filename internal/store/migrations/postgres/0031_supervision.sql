-- Supervision by hand (issue 13) and the overdue-only inbox without a join
-- (issue 11).

-- A paused instance keeps its wait rows (its staff may still act) but is not
-- overdue while its clock stands still. The flag on the row lets the
-- overdue-only inbox read one index range per scope without joining every
-- row to its instance to look at its status.
ALTER TABLE flow_instance_waits ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE flow_instance_waits SET paused = TRUE
WHERE instance_id IN (SELECT id FROM flow_instances WHERE status = 'paused');

-- What a supervisor does by hand on an open case (督办): a reminder (催办,
-- kind 'urge'), a supervision order (督办单, kind 'order', with a number, a
-- reason, the working day by which the department must answer and its
-- answer, 反馈, which closes it), a comment (督办意见, 'comment') or the
-- record of an interview (约谈, 'interview': when, who, what came of it).
-- subject_type and subject_id name the module's record the case is about,
-- so that every read is authorised by that module's policy.
CREATE TABLE supervision_records (
	id BIGSERIAL PRIMARY KEY,
	instance_id BIGINT NOT NULL REFERENCES flow_instances (id),
	subject_type TEXT NOT NULL,
	subject_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	reference TEXT NOT NULL,
	title TEXT NOT NULL,
	kind TEXT NOT NULL,
	number TEXT NOT NULL DEFAULT '',
	department_id BIGINT NOT NULL DEFAULT 0,
	body TEXT NOT NULL,
	answer_days INTEGER NOT NULL DEFAULT 0,
	answer_due TIMESTAMPTZ,
	held_at TIMESTAMPTZ,
	participants TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',
	answered_at TIMESTAMPTZ,
	answered_by BIGINT NOT NULL DEFAULT 0,
	answered_by_name TEXT NOT NULL DEFAULT '',
	created_by BIGINT NOT NULL,
	created_by_name TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX supervision_records_number ON supervision_records (number) WHERE number <> '';
-- A case's records, newest first.
CREATE INDEX supervision_records_instance ON supervision_records (instance_id, id);
-- A department's orders waiting for its answer, soonest due first, and every
-- order addressed to it, newest first.
CREATE INDEX supervision_records_open ON supervision_records (department_id, answer_due, id) WHERE status = 'open';
CREATE INDEX supervision_records_department ON supervision_records (department_id, id) WHERE kind = 'order';

-- The numbers of supervision orders, one sequence a year: 督办〔2026〕00001号.
CREATE TABLE supervision_sequences (
	year TEXT PRIMARY KEY,
	last BIGINT NOT NULL
);

-- A person's own cases newest first, paged by keyset on id (issue 11).
DROP INDEX flow_instances_owner;
CREATE INDEX flow_instances_owner ON flow_instances (owner_user_id, id) WHERE owner_user_id <> 0;

-- Working copies of knowledge articles, most recently changed first, paged
-- by keyset on (updated_at, id) (issue 11).
CREATE INDEX kb_articles_updated ON kb_articles (updated_at, id);
