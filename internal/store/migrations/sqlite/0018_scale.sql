-- Staff lists that do not grow with history (issue 11).
--
-- flow_instance_waits holds, for every open workflow instance, one row per
-- scope it waits in, so that an inbox or an overdue view is an index range
-- read in deadline order instead of a LIKE over comma lists of every open
-- instance followed by a sort:
--   kind 'dept'   role R, ref a department id: R of that department may act;
--   kind 'region' role R, ref a region prefix (2, 4 or 6 digits, one row per
--                 level the instance's region lies within): R of that region;
--   kind 'owner'  role R, ref the owner's user id;
--   kind 'all'    role R (system), ref '';
--   kind 'watch'  role '', ref a region prefix: a running instance with a
--                 deadline, for the supervisors of that region (督办).
-- due_at is the nearest deadline (9999-12-31 when none), so one column
-- orders every list. The flow engine rewrites an instance's rows in the
-- transaction of each change; finished instances have none.
CREATE TABLE flow_instance_waits (
	kind TEXT NOT NULL,
	role TEXT NOT NULL,
	ref TEXT NOT NULL,
	due_at TIMESTAMP NOT NULL,
	instance_id INTEGER NOT NULL REFERENCES flow_instances (id),
	subject_type TEXT NOT NULL,
	PRIMARY KEY (kind, role, ref, due_at, instance_id)
) WITHOUT ROWID;
CREATE INDEX flow_instance_waits_instance ON flow_instance_waits (instance_id);

-- The backfill: the same rows the engine writes (flow.waitsOf).
CREATE TEMP TABLE ys_waits_src AS
SELECT id, subject_type, region_code, department_ids, owner_user_id, status, actor_roles,
	COALESCE(CASE WHEN state_due_at IS NULL THEN due_at
		WHEN due_at IS NULL OR state_due_at < due_at THEN state_due_at ELSE due_at END,
		'9999-12-31 00:00:00+00:00') AS due
FROM flow_instances WHERE status <> 'done';

CREATE TEMP TABLE ys_waits_regions AS
SELECT id, substr(region_code, 1, 2) AS p FROM ys_waits_src
UNION SELECT id, substr(region_code, 1, 4) FROM ys_waits_src WHERE substr(region_code, 3, 4) <> '0000'
UNION SELECT id, region_code FROM ys_waits_src WHERE substr(region_code, 5, 2) <> '00';

CREATE TEMP TABLE ys_waits_roles AS
SELECT s.id, r.value AS role,
	CASE WHEN r.value = 'system' THEN 'all'
		WHEN r.value IN ('department_handler', 'approver') THEN 'dept'
		WHEN r.value IN ('dispatcher', 'supervisor', 'hotline_operator', 'window_clerk', 'admin') THEN 'region'
		WHEN r.value IN ('citizen', 'enterprise') THEN 'owner' ELSE '' END AS kind
FROM ys_waits_src s, json_each('["' || replace(trim(s.actor_roles, ','), ',', '","') || '"]') r
WHERE r.value <> '';

INSERT OR IGNORE INTO flow_instance_waits (kind, role, ref, due_at, instance_id, subject_type)
SELECT 'all', r.role, '', s.due, s.id, s.subject_type
FROM ys_waits_roles r JOIN ys_waits_src s ON s.id = r.id WHERE r.kind = 'all'
UNION ALL
SELECT 'dept', r.role, CAST(d.value AS TEXT), s.due, s.id, s.subject_type
FROM ys_waits_roles r JOIN ys_waits_src s ON s.id = r.id,
	json_each('[' || trim(s.department_ids, ',') || ']') d WHERE r.kind = 'dept'
UNION ALL
SELECT 'region', r.role, g.p, s.due, s.id, s.subject_type
FROM ys_waits_roles r JOIN ys_waits_src s ON s.id = r.id JOIN ys_waits_regions g ON g.id = s.id WHERE r.kind = 'region'
UNION ALL
SELECT 'owner', r.role, CAST(s.owner_user_id AS TEXT), s.due, s.id, s.subject_type
FROM ys_waits_roles r JOIN ys_waits_src s ON s.id = r.id WHERE r.kind = 'owner' AND s.owner_user_id <> 0
UNION ALL
SELECT 'watch', '', g.p, s.due, s.id, s.subject_type
FROM ys_waits_src s JOIN ys_waits_regions g ON g.id = s.id
WHERE s.status = 'running' AND s.due <> '9999-12-31 00:00:00+00:00';

DROP TABLE ys_waits_roles;
DROP TABLE ys_waits_regions;
DROP TABLE ys_waits_src;

-- The open-instances index served the OR on two due dates, which it could
-- not; the waits table orders the lists now.
DROP INDEX flow_instances_open;
DROP INDEX flow_instances_region;

-- The hotline's assisting departments (协办) as rows, like the waits: a
-- handler's list of orders reads its department's entries newest first
-- (order ids grow with creation time, so id order is newest-first order).
CREATE TABLE hotline_order_assists (
	department_id INTEGER NOT NULL,
	order_id INTEGER NOT NULL REFERENCES hotline_orders (id),
	PRIMARY KEY (department_id, order_id)
) WITHOUT ROWID;
CREATE INDEX hotline_order_assists_order ON hotline_order_assists (order_id);
INSERT OR IGNORE INTO hotline_order_assists (department_id, order_id)
SELECT CAST(d.value AS INTEGER), o.id
FROM hotline_orders o, json_each('[' || trim(o.assist_department_ids, ',') || ']') d
WHERE o.assist_department_ids <> '';

-- Orders joined to their workflow instances (overdue lists) read by index.
CREATE INDEX hotline_orders_instance ON hotline_orders (instance_id);
-- A lead department's orders newest first, paged by keyset. Undispatched
-- orders have no entry, so taking in an order does not write it.
CREATE INDEX hotline_orders_lead_id ON hotline_orders (lead_department_id, id) WHERE lead_department_id <> 0;

-- A department's applications newest first, paged by keyset (id).
CREATE INDEX casework_applications_department_id ON casework_applications (department_id, id);
