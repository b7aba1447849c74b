-- 年度报告 (企业信息公示暂行条例 第八、九条): one report per business and
-- year, its fields as JSON (content), with the 第七项 figures the business
-- chose to make public (public_fields). The contact phone is sealed.
CREATE TABLE annual_reports (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	year INTEGER NOT NULL,
	name TEXT NOT NULL,
	region_code TEXT NOT NULL,
	content TEXT NOT NULL,
	phone_enc TEXT NOT NULL,
	public_fields TEXT NOT NULL,
	filed_on TEXT NOT NULL,
	late BOOLEAN NOT NULL,
	filed_at TIMESTAMP NOT NULL,
	filed_by INTEGER NOT NULL,
	corrected_at TIMESTAMP,
	corrections INTEGER NOT NULL DEFAULT 0,
	credit_record_id INTEGER NOT NULL DEFAULT 0,
	version INTEGER NOT NULL
);
CREATE UNIQUE INDEX annual_reports_uscc_year ON annual_reports (uscc, year);
CREATE INDEX annual_reports_year ON annual_reports (year, filed_at, id);
-- Reminders sent, once per business and year.
CREATE TABLE annual_report_reminders (
	uscc TEXT NOT NULL,
	year INTEGER NOT NULL,
	sent_on TEXT NOT NULL,
	PRIMARY KEY (uscc, year)
);
-- The 1 July listings this module caused (经营异常名录, reason annual_report),
-- one per business and year, and the removals applied for after filing.
CREATE TABLE annual_report_listings (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	uscc TEXT NOT NULL,
	year INTEGER NOT NULL,
	abnormal_id INTEGER NOT NULL,
	department_id INTEGER NOT NULL,
	region_code TEXT NOT NULL,
	decision_no TEXT NOT NULL,
	listed_on TEXT NOT NULL,
	removal_status TEXT NOT NULL DEFAULT '',
	removal_applied_at TIMESTAMP,
	removal_applied_by INTEGER NOT NULL DEFAULT 0,
	removal_decision_no TEXT NOT NULL DEFAULT '',
	removal_decided_at TIMESTAMP,
	removal_decided_by INTEGER NOT NULL DEFAULT 0,
	removal_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX annual_report_listings_uscc_year ON annual_report_listings (uscc, year);
CREATE INDEX annual_report_listings_pending ON annual_report_listings (removal_status, id);
-- Sweeps run: the 1 July listing of a year, once.
CREATE TABLE annual_report_sweeps (
	year INTEGER PRIMARY KEY,
	ran_on TEXT NOT NULL,
	listed INTEGER NOT NULL,
	finished_at TIMESTAMP NOT NULL
);
-- Filing windows the platform was running in: a year's non-filers are
-- listed only if its businesses could file here (a platform started after
-- the window lists nobody for that year).
CREATE TABLE annual_report_windows (
	year INTEGER PRIMARY KEY,
	seen_on TEXT NOT NULL
);
