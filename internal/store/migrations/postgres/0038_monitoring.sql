-- Monitoring devices registered at businesses (智能监测), their readings
-- (idempotent on device, metric and time) and alerts (one open per rule
-- and device).
CREATE TABLE monitoring_devices (
	id BIGSERIAL PRIMARY KEY,
	uscc TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	kind TEXT NOT NULL,
	location TEXT NOT NULL,
	unit TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	revoked BOOLEAN NOT NULL DEFAULT FALSE,
	created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX monitoring_devices_uscc ON monitoring_devices (uscc);
CREATE INDEX monitoring_devices_dept ON monitoring_devices (department_id, id);
CREATE TABLE monitoring_readings (
	device_id BIGINT NOT NULL REFERENCES monitoring_devices (id),
	metric TEXT NOT NULL,
	at TIMESTAMPTZ NOT NULL,
	value DOUBLE PRECISION NOT NULL,
	PRIMARY KEY (device_id, metric, at)
);
CREATE TABLE monitoring_alerts (
	id BIGSERIAL PRIMARY KEY,
	rule_code TEXT NOT NULL,
	device_id BIGINT NOT NULL REFERENCES monitoring_devices (id),
	uscc TEXT NOT NULL,
	department_id BIGINT NOT NULL,
	grade TEXT NOT NULL,
	firings INTEGER NOT NULL,
	reason TEXT NOT NULL,
	opened_at TIMESTAMPTZ NOT NULL,
	last_fired_at TIMESTAMPTZ NOT NULL,
	closed_at TIMESTAMPTZ,
	close_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX monitoring_alerts_open ON monitoring_alerts (rule_code, device_id) WHERE closed_at IS NULL;
CREATE INDEX monitoring_alerts_dept ON monitoring_alerts (department_id, opened_at, id);
