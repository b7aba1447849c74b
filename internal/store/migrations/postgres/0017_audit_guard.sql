-- Signed tree heads of the audit log: the Merkle tree (RFC 6962) over the
-- first tree_size entries has root root_hash, signed at timestamp_ms (Unix
-- milliseconds) with the Ed25519 key key_id. signature is base64 over the
-- payload described in internal/audit/head.go. frontier holds the roots of
-- the tree's perfect subtrees (hex, comma-separated) so the next head is
-- computed from the entries added since; it is checked against the signed
-- root before use. Each head is also appended to DATA-DIR/audit-heads.jsonl,
-- outside the database.
CREATE TABLE audit_tree_heads (
	tree_size BIGINT PRIMARY KEY,
	timestamp_ms BIGINT NOT NULL,
	root_hash TEXT NOT NULL,
	key_id TEXT NOT NULL,
	signature TEXT NOT NULL,
	frontier TEXT NOT NULL
);

-- Append-only guards: entries and signed heads are never changed or
-- removed by the platform, so the database refuses it, to the owner too
-- (triggers bind every role; only a superuser or the owner dropping them
-- gets past, and the signed heads outside the database still show it).
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
		USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_heads_append_only BEFORE UPDATE OR DELETE ON audit_tree_heads
	FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_tree_heads_no_truncate BEFORE TRUNCATE ON audit_tree_heads
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- The chain's head only moves forward.
CREATE FUNCTION audit_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' OR NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN
		RAISE EXCEPTION 'audit_head only moves forward' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
	FOR EACH ROW EXECUTE FUNCTION audit_head_forward();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Roles other than the owner (a read-only reporting role, say) get no
-- right to change the record, whatever they are granted by default.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_tree_heads FROM PUBLIC;
REVOKE DELETE, TRUNCATE ON audit_head FROM PUBLIC;
