-- Hotline figures: the deadlines that judge 响应率 and 按时办结率, kept on
-- the order, and a covering index for the monthly aggregation.
--
-- The workflow engine keeps only the current state's deadline, so the
-- hotline service records the sign-for and handling deadlines on the order
-- in the transaction of each step (see hotline.recordDue); the backfill below
-- covers orders in those steps when this migration runs.
ALTER TABLE hotline_orders ADD COLUMN sign_due_at TIMESTAMP;
ALTER TABLE hotline_orders ADD COLUMN reply_due_at TIMESTAMP;

UPDATE hotline_orders SET sign_due_at = (SELECT f.state_due_at FROM flow_instances f WHERE f.id = hotline_orders.instance_id)
	WHERE status = 'dispatched';
UPDATE hotline_orders SET reply_due_at = (SELECT f.state_due_at FROM flow_instances f WHERE f.id = hotline_orders.instance_id)
	WHERE status = 'handling';

-- Every column the monthly figures read, led by the month's range: the
-- aggregation is an index-only range scan.
CREATE INDEX hotline_orders_figures ON hotline_orders (created_at, lead_department_id, region_code, status,
	direct_closed, dispatched_at, signed_at, sign_due_at, replied_at, reply_due_at, closed_at, visit_solved,
	visit_satisfaction, reopen_count);
