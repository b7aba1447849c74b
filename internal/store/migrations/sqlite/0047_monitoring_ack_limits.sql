-- Acknowledgement limits of monitoring alerts on the working-day calendar:
-- ack_due_at is when the department is to acknowledge (签收) an alert,
-- counted from when it reached its grade; overdue_at is when the limit was
-- found to have passed unacknowledged (the sweep, or a late
-- acknowledgement), kept after the alert is acknowledged or closed. Alerts
-- raised before this migration get their ack_due_at from the sweep.
ALTER TABLE monitoring_alerts ADD COLUMN ack_due_at TIMESTAMP;
ALTER TABLE monitoring_alerts ADD COLUMN overdue_at TIMESTAMP;
CREATE INDEX monitoring_alerts_due ON monitoring_alerts (ack_due_at, id);
CREATE INDEX monitoring_alerts_opened ON monitoring_alerts (department_id, opened_at, id);
