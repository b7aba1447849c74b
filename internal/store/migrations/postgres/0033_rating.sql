-- 政务服务"好差评" (国办发〔2019〕51号, GB/T 39735): one rating per subject
-- (a casework application or a hotline order) and service event, the SMS
-- link tokens (only their SHA-256 is stored) and the follow-up of a bad
-- rating (核实, 整改, 反馈).
CREATE TABLE ratings (
	id BIGSERIAL PRIMARY KEY,
	subject_kind TEXT NOT NULL,
	subject_id BIGINT NOT NULL,
	event TEXT NOT NULL,
	item_code TEXT NOT NULL DEFAULT '',
	level INTEGER NOT NULL,
	channel TEXT NOT NULL,
	person_id BIGINT NOT NULL DEFAULT 0,
	department_id BIGINT NOT NULL,
	staff_id BIGINT NOT NULL DEFAULT 0,
	comment TEXT NOT NULL DEFAULT '',
	rated_on TEXT NOT NULL,
	rated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ratings_once ON ratings (subject_kind, subject_id, event);
CREATE INDEX ratings_department ON ratings (department_id, id);
CREATE TABLE rating_tokens (
	hash TEXT PRIMARY KEY,
	subject_kind TEXT NOT NULL,
	subject_id BIGINT NOT NULL,
	event TEXT NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at TIMESTAMP
);
CREATE TABLE rating_followups (
	id BIGSERIAL PRIMARY KEY,
	rating_id BIGINT NOT NULL UNIQUE REFERENCES ratings (id),
	department_id BIGINT NOT NULL,
	person_id BIGINT NOT NULL DEFAULT 0,
	status TEXT NOT NULL,
	opened_on TEXT NOT NULL,
	due_on TEXT NOT NULL,
	verification TEXT NOT NULL DEFAULT '',
	rectification TEXT NOT NULL DEFAULT '',
	feedback TEXT NOT NULL DEFAULT '',
	answered_on TEXT,
	answered_by BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX rating_followups_department ON rating_followups (department_id, status, id);
CREATE INDEX rating_followups_person ON rating_followups (person_id, id);
