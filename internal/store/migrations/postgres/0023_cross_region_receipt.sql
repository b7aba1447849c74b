-- The owning department's acknowledgement (签收) of a forwarded
-- cross-region application: who signed for it and when.
ALTER TABLE casework_cross_region ADD COLUMN acknowledged_at TIMESTAMP;
ALTER TABLE casework_cross_region ADD COLUMN acknowledged_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE casework_cross_region ADD COLUMN acknowledged_by_name TEXT NOT NULL DEFAULT '';
