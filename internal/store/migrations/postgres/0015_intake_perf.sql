-- Hotline intake writes every index of hotline_orders, flow_instances and
-- audit_log at each commit. Indexes no query uses go, and those only some
-- rows need hold only those rows (see the SQLite migration of the same
-- name).
--
-- source_ref is never searched by value.
DROP INDEX hotline_orders_source;
-- "merged_into = $1" implies IS NOT NULL, so the partial index serves it.
DROP INDEX hotline_orders_merged;
CREATE INDEX hotline_orders_merged ON hotline_orders (merged_into) WHERE merged_into IS NOT NULL;
-- Their queries say "caller_user_id <> 0" and "lead_department_id <> 0".
DROP INDEX hotline_orders_caller;
CREATE INDEX hotline_orders_caller ON hotline_orders (caller_user_id) WHERE caller_user_id <> 0;
DROP INDEX hotline_orders_lead;
CREATE INDEX hotline_orders_lead ON hotline_orders (lead_department_id, status) WHERE lead_department_id <> 0;
-- The audit log's region filter is a LIKE prefix, which a btree index
-- serves only under the C collation or with text_pattern_ops: this index
-- was never searched, at most scanned whole.
DROP INDEX audit_log_region;
-- Cases without an owner (phone calls) need no entry; cases of citizens
-- keep theirs when finished, so that a citizen's list of their own cases,
-- finished ones included, is read from the index too ("owner_user_id <> 0"
-- in its queries).
DROP INDEX flow_instances_owner;
CREATE INDEX flow_instances_owner ON flow_instances (owner_user_id) WHERE owner_user_id <> 0;
