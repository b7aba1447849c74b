-- Change notification across nodes is PostgreSQL's (LISTEN/NOTIFY, see the
-- PostgreSQL migration of the same number): SQLite serves one node, whose
-- caches are dropped in process.
SELECT 1;
