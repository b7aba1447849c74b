-- Working-day calendar: the years whose holiday arrangement is known, and
-- their special days (holidays and make-up workdays). Dates are YYYY-MM-DD
-- text in China Standard Time, which sorts and compares correctly.
CREATE TABLE calendar_years (
	year INTEGER PRIMARY KEY,
	note TEXT NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE TABLE calendar_days (
	day TEXT PRIMARY KEY,
	year INTEGER NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
	name TEXT NOT NULL
);
CREATE INDEX calendar_days_year ON calendar_days (year);
