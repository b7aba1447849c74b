-- Accountability for fair-competition review (约谈—通报—考核扣分): what was
-- done to a drafting unit whose measure was found in violation, by whom.
CREATE TABLE fr_accountability (
	id BIGSERIAL PRIMARY KEY,
	department_id BIGINT NOT NULL,
	region_code TEXT NOT NULL,
	measure_id BIGINT NOT NULL REFERENCES fr_measures (id),
	kind TEXT NOT NULL,
	points INTEGER NOT NULL DEFAULT 0,
	note TEXT NOT NULL,
	held_on TEXT NOT NULL,
	created_by BIGINT NOT NULL,
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX fr_accountability_department ON fr_accountability (department_id, id);
