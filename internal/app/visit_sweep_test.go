package app

import (
	"context"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The publication sweep runs among the workers: a completed visit past its
// limit to publish becomes overdue, once, with an audit entry.
func TestVisitPublicationSweep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.QueryRowContext(ctx, "SELECT id FROM visits ORDER BY id LIMIT 1").Scan(&id); err != nil {
			t.Skip("the demo has no visit")
		}
		if _, err := db.ExecContext(ctx, "UPDATE visits SET status = 'completed', publish_due_on = '2000-01-03' WHERE id = ?", id); err != nil {
			t.Fatal(err)
		}
		n, err := a.Visits.SweepOverdue(ctx)
		if err != nil || n < 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		var status string
		var audits int
		_ = db.QueryRowContext(ctx, "SELECT status FROM visits WHERE id = ?", id).Scan(&status)
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'visit.publish_overdue'").Scan(&audits)
		if status != "overdue" || audits != n {
			t.Errorf("status %s, %d audit entries for %d flagged", status, audits, n)
		}
		if again, _ := a.Visits.SweepOverdue(ctx); again != 0 {
			t.Errorf("a second sweep flagged %d", again)
		}
	})
}
