-- Hotline intake writes every index of hotline_orders, flow_instances and
-- audit_log at each commit (one B-tree page each). Indexes no query uses
-- go, and those only some rows need hold only those rows, so that taking
-- in an order from the phone writes 22 pages instead of 28.
--
-- source_ref is never searched by value.
DROP INDEX hotline_orders_source;
-- Merged orders are few; "merged_into = ?" implies IS NOT NULL, so the
-- partial index still serves it.
DROP INDEX hotline_orders_merged;
CREATE INDEX hotline_orders_merged ON hotline_orders (merged_into) WHERE merged_into IS NOT NULL;
-- Phone and 110 orders have no caller account, new orders no lead
-- department: their queries say "caller_user_id <> 0" and
-- "lead_department_id <> 0" so that the partial indexes apply.
DROP INDEX hotline_orders_caller;
CREATE INDEX hotline_orders_caller ON hotline_orders (caller_user_id) WHERE caller_user_id <> 0;
DROP INDEX hotline_orders_lead;
CREATE INDEX hotline_orders_lead ON hotline_orders (lead_department_id, status) WHERE lead_department_id <> 0;
-- The audit log's region filter is a LIKE prefix, which SQLite serves from
-- an index only on a NOCASE column: this index was never searched.
DROP INDEX audit_log_region;
-- Cases without an owner (phone calls) need no entry; cases of citizens
-- keep theirs when finished, so that a citizen's list of their own cases,
-- finished ones included, is read from the index too ("owner_user_id <> 0"
-- in its queries).
DROP INDEX flow_instances_owner;
CREATE INDEX flow_instances_owner ON flow_instances (owner_user_id) WHERE owner_user_id <> 0;
