-- Signed tree heads of the audit log: the Merkle tree (RFC 6962) over the
-- first tree_size entries has root root_hash, signed at timestamp_ms (Unix
-- milliseconds) with the Ed25519 key key_id. signature is base64 over the
-- payload described in internal/audit/head.go. frontier holds the roots of
-- the tree's perfect subtrees (hex, comma-separated) so the next head is
-- computed from the entries added since; it is checked against the signed
-- root before use. Each head is also appended to DATA-DIR/audit-heads.jsonl,
-- outside the database.
CREATE TABLE audit_tree_heads (
	tree_size INTEGER PRIMARY KEY,
	timestamp_ms INTEGER NOT NULL,
	root_hash TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL,
	frontier TEXT NOT NULL
);

-- Append-only guards: entries and signed heads are never changed or
-- removed by the platform, so the database refuses it. Someone with
-- enough rights can drop these triggers; the signed heads outside the
-- database then still show the change.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
CREATE TRIGGER audit_tree_heads_no_update BEFORE UPDATE ON audit_tree_heads
BEGIN SELECT RAISE(ABORT, 'audit_tree_heads is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_tree_heads_no_delete BEFORE DELETE ON audit_tree_heads
BEGIN SELECT RAISE(ABORT, 'audit_tree_heads is append-only: DELETE refused'); END;
-- The chain's head only moves forward.
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
