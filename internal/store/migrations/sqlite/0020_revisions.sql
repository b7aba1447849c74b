-- Revisions: earlier versions of the sets of rows administrators replace as
-- a whole (a calendar year, a catalogue item's materials, …), so that a
-- replacement can be undone. One row per version of one set, named by
-- (kind, set_key) and numbered by seq from 1; snapshot is the set as JSON
-- and hash its SHA-256, the version tag a confirm or If-Match must carry.
-- reason is save, baseline (the content found before the first recorded
-- replacement) or restore (restored_from names the revision restored).
CREATE TABLE revisions (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	set_key TEXT NOT NULL,
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL,
	snapshot TEXT NOT NULL,
	size INTEGER NOT NULL,
	actor_id INTEGER NOT NULL,
	actor_name TEXT NOT NULL,
	region_code TEXT NOT NULL,
	reason TEXT NOT NULL,
	restored_from INTEGER NOT NULL,
	created_at TIMESTAMP NOT NULL,
	UNIQUE (kind, set_key, seq)
);
