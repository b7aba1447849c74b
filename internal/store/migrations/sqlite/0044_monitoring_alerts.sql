-- Monitoring wired into the platform: devices carry the business's name
-- and region (for search and scope); alerts are acknowledged and closed by
-- staff, every step kept in their history; 约谈 (interview) responses are
-- records the department works through. One open alert per rule and device
-- stays enforced by monitoring_alerts_open (0038).
ALTER TABLE monitoring_devices ADD COLUMN business_name TEXT NOT NULL DEFAULT '';
ALTER TABLE monitoring_devices ADD COLUMN region_code TEXT NOT NULL DEFAULT '';
ALTER TABLE monitoring_devices ADD COLUMN revoked_at TIMESTAMP;
ALTER TABLE monitoring_alerts ADD COLUMN region_code TEXT NOT NULL DEFAULT '';
ALTER TABLE monitoring_alerts ADD COLUMN acknowledged_at TIMESTAMP;
ALTER TABLE monitoring_alerts ADD COLUMN acknowledged_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE monitoring_alerts ADD COLUMN closed_by INTEGER NOT NULL DEFAULT 0;
CREATE INDEX monitoring_alerts_grade ON monitoring_alerts (department_id, grade, last_fired_at, id);
CREATE INDEX monitoring_alerts_uscc ON monitoring_alerts (uscc, id);
CREATE TABLE monitoring_alert_events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id INTEGER NOT NULL REFERENCES monitoring_alerts (id),
	at TIMESTAMP NOT NULL,
	kind TEXT NOT NULL,
	grade TEXT NOT NULL,
	user_id INTEGER NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX monitoring_alert_events_alert ON monitoring_alert_events (alert_id, id);
CREATE TABLE monitoring_interviews (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id INTEGER NOT NULL REFERENCES monitoring_alerts (id),
	department_id INTEGER NOT NULL,
	uscc TEXT NOT NULL,
	reason TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (alert_id)
);
