// Package audittest helps tests play an attacker with write access to the
// database, who first removes the append-only guards the migrations put on
// the audit tables.
package audittest

import (
	"context"
	"testing"

	"github.com/yingshang/yingshang/internal/store"
)

// DropGuards drops the triggers that refuse UPDATE and DELETE on
// audit_log, audit_tree_heads and audit_head, as someone holding the
// tables' owner could.
func DropGuards(t testing.TB, db *store.DB) {
	t.Helper()
	stmts := []string{
		"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete",
		"DROP TRIGGER audit_tree_heads_no_update", "DROP TRIGGER audit_tree_heads_no_delete",
		"DROP TRIGGER audit_head_forward", "DROP TRIGGER audit_head_no_delete",
	}
	if db.Kind() == store.Postgres {
		stmts = []string{
			"DROP TRIGGER audit_log_append_only ON audit_log", "DROP TRIGGER audit_log_no_truncate ON audit_log",
			"DROP TRIGGER audit_tree_heads_append_only ON audit_tree_heads",
			"DROP TRIGGER audit_tree_heads_no_truncate ON audit_tree_heads",
			"DROP TRIGGER audit_head_forward ON audit_head", "DROP TRIGGER audit_head_no_truncate ON audit_head",
		}
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
