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
	due_at TIMESTAMPTZ NOT NULL,
	instance_id BIGINT NOT NULL REFERENCES flow_instances (id),
	subject_type TEXT NOT NULL,
	PRIMARY KEY (kind, role, ref, due_at, instance_id)
);
CREATE INDEX flow_instance_waits_instance ON flow_instance_waits (instance_id);
-- kind, role and ref go together (a role has one kind of scope): without
-- these statistics the planner multiplies their selectivities, expects a
-- hundred rows where a department has thousands, and gathers and sorts
-- them all instead of reading the index in order up to the page's limit.
CREATE STATISTICS flow_instance_waits_scope (dependencies, mcv) ON kind, role, ref FROM flow_instance_waits;

-- The backfill: the same rows the engine writes (flow.waitsOf).
WITH src AS (
	SELECT id, subject_type, region_code, department_ids, owner_user_id, status, actor_roles,
		COALESCE(LEAST(state_due_at, due_at), TIMESTAMPTZ '9999-12-31 00:00:00+00') AS due
	FROM flow_instances WHERE status <> 'done'
), regions AS (
	SELECT id, substr(region_code, 1, 2) AS p FROM src
	UNION SELECT id, substr(region_code, 1, 4) FROM src WHERE substr(region_code, 3, 4) <> '0000'
	UNION SELECT id, region_code FROM src WHERE substr(region_code, 5, 2) <> '00'
), roles AS (
	SELECT s.id, r AS role,
		CASE WHEN r = 'system' THEN 'all'
			WHEN r IN ('department_handler', 'approver') THEN 'dept'
			WHEN r IN ('dispatcher', 'supervisor', 'hotline_operator', 'window_clerk', 'admin') THEN 'region'
			WHEN r IN ('citizen', 'enterprise') THEN 'owner' ELSE '' END AS kind
	FROM src s, unnest(string_to_array(trim(both ',' from s.actor_roles), ',')) AS r
	WHERE r <> ''
)
INSERT INTO flow_instance_waits (kind, role, ref, due_at, instance_id, subject_type)
SELECT 'all', r.role, '', s.due, s.id, s.subject_type
FROM roles r JOIN src s ON s.id = r.id WHERE r.kind = 'all'
UNION
SELECT 'dept', r.role, d, s.due, s.id, s.subject_type
FROM roles r JOIN src s ON s.id = r.id,
	unnest(string_to_array(trim(both ',' from s.department_ids), ',')) AS d WHERE r.kind = 'dept' AND d <> ''
UNION
SELECT 'region', r.role, g.p, s.due, s.id, s.subject_type
FROM roles r JOIN src s ON s.id = r.id JOIN regions g ON g.id = s.id WHERE r.kind = 'region'
UNION
SELECT 'owner', r.role, s.owner_user_id::text, s.due, s.id, s.subject_type
FROM roles r JOIN src s ON s.id = r.id WHERE r.kind = 'owner' AND s.owner_user_id <> 0
UNION
SELECT 'watch', '', g.p, s.due, s.id, s.subject_type
FROM src s JOIN regions g ON g.id = s.id
WHERE s.status = 'running' AND s.due <> TIMESTAMPTZ '9999-12-31 00:00:00+00';

-- The open-instances index served the OR on two due dates, which it could
-- not; the waits table orders the lists now.
DROP INDEX flow_instances_open;
DROP INDEX flow_instances_region;

-- The hotline's assisting departments (协办) as rows, like the waits: a
-- handler's list of orders reads its department's entries newest first
-- (order ids grow with creation time, so id order is newest-first order).
CREATE TABLE hotline_order_assists (
	department_id BIGINT NOT NULL,
	order_id BIGINT NOT NULL REFERENCES hotline_orders (id),
	PRIMARY KEY (department_id, order_id)
);
CREATE INDEX hotline_order_assists_order ON hotline_order_assists (order_id);
INSERT INTO hotline_order_assists (department_id, order_id)
SELECT DISTINCT d::bigint, o.id
FROM hotline_orders o, unnest(string_to_array(trim(both ',' from o.assist_department_ids), ',')) AS d
WHERE d <> '';

-- Orders joined to their workflow instances (overdue lists) read by index.
CREATE INDEX hotline_orders_instance ON hotline_orders (instance_id);
-- A lead department's orders newest first, paged by keyset. Undispatched
-- orders have no entry, so taking in an order does not write it.
CREATE INDEX hotline_orders_lead_id ON hotline_orders (lead_department_id, id) WHERE lead_department_id <> 0;

-- A department's applications newest first, paged by keyset (id).
CREATE INDEX casework_applications_department_id ON casework_applications (department_id, id);
