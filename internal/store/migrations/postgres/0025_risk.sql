-- Credit risk classification (信用风险分类). The indicator models are
-- versions kept whole (draft → tried → published → retired); every class
-- names the model version it was computed with and the values of that
-- model's indicators, so it explains itself as it was decided.
CREATE TABLE risk_models (
	version BIGINT PRIMARY KEY,
	status TEXT NOT NULL,
	name TEXT NOT NULL,
	content TEXT NOT NULL,
	hash TEXT NOT NULL,
	trial TEXT,
	created_at TIMESTAMP NOT NULL,
	created_by BIGINT NOT NULL,
	tried_at TIMESTAMP,
	published_at TIMESTAMP,
	published_by BIGINT NOT NULL DEFAULT 0
);
-- The class of each business: region (county code) and industry section
-- (GB/T 4754 letter) are copied from the register for the distribution.
CREATE TABLE risk_classes (
	uscc TEXT PRIMARY KEY,
	class TEXT NOT NULL,
	score DOUBLE PRECISION NOT NULL,
	model_version BIGINT NOT NULL,
	vals TEXT NOT NULL,
	region_code TEXT NOT NULL,
	industry TEXT NOT NULL,
	since TEXT NOT NULL,
	computed_at TIMESTAMP NOT NULL
);
CREATE INDEX risk_classes_region ON risk_classes (region_code, industry, class);
-- Movements between classes by month (YYYY-MM), region and industry.
CREATE TABLE risk_moves (
	month TEXT NOT NULL,
	region_code TEXT NOT NULL,
	industry TEXT NOT NULL,
	from_class TEXT NOT NULL,
	to_class TEXT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (month, region_code, industry, from_class, to_class)
);
-- The distribution at the end of each month's last full run.
CREATE TABLE risk_snapshots (
	month TEXT NOT NULL,
	region_code TEXT NOT NULL,
	industry TEXT NOT NULL,
	class TEXT NOT NULL,
	n BIGINT NOT NULL,
	PRIMARY KEY (month, region_code, industry, class)
);
-- Full runs: when, with which model, how many businesses and changes.
CREATE TABLE risk_runs (
	id BIGSERIAL PRIMARY KEY,
	model_version BIGINT NOT NULL,
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP,
	businesses BIGINT NOT NULL DEFAULT 0,
	changed BIGINT NOT NULL DEFAULT 0
);
-- The full run streams a business's credit records in code order: the
-- index on (uscc, decision_date, id) becomes a covering one, so that the
-- stream reads the index alone (credit's own lookups keep their prefix).
DROP INDEX credit_records_uscc;
CREATE INDEX credit_records_uscc ON credit_records (uscc, decision_date, id, kind, withdrawn_on);
