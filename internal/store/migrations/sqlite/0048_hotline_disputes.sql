-- Jurisdiction disputes of the hotline (管辖争议, issue 12): the department
-- that first received an order (首接部门), every department that sent it back
-- (退单), and the dispute the centre decides once two departments have
-- refused it, with its limit and the department it chose.
ALTER TABLE hotline_orders ADD COLUMN first_department_id INTEGER NOT NULL DEFAULT 0;

CREATE TABLE hotline_refusals (
	order_id INTEGER NOT NULL,
	department_id INTEGER NOT NULL,
	refused_at TIMESTAMP NOT NULL,
	PRIMARY KEY (order_id, department_id)
);

CREATE TABLE hotline_disputes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	order_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	departments TEXT NOT NULL,
	first_department_id INTEGER NOT NULL,
	opened_at TIMESTAMP NOT NULL,
	due_at TIMESTAMP NOT NULL,
	decided_department_id INTEGER NOT NULL DEFAULT 0,
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_by_name TEXT NOT NULL DEFAULT '',
	decided_at TIMESTAMP NULL,
	reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX hotline_disputes_one_open ON hotline_disputes (order_id) WHERE decided_at IS NULL;
CREATE INDEX hotline_disputes_order ON hotline_disputes (order_id, id);
CREATE INDEX hotline_disputes_open ON hotline_disputes (region_code, due_at) WHERE decided_at IS NULL;

-- The three-way call with 110 for a matter unclear between them (国办发〔2022〕12号):
-- its outcome (to_110, hotline, undecided), 110's incident number and a note.
ALTER TABLE hotline_orders ADD COLUMN three_way_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN three_way_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN three_way_note TEXT NOT NULL DEFAULT '';
ALTER TABLE hotline_orders ADD COLUMN three_way_at TIMESTAMP NULL;
