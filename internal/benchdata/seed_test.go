package benchdata_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/benchdata"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestSeed seeds a small year on the demo city and checks what the views
// read: every order with its running or finished instance, history and
// the wait rows of its open instance, certificates for approved
// applications, and the indexes and foreign keys dropped for the load all
// back, with the rows they check valid.
func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if _, err := a.SeedDemo(ctx, now); err != nil {
			t.Fatal(err)
		}
		count := func(q string) int {
			t.Helper()
			var n int
			if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			return n
		}
		checks := checkNames(t, db)
		orders0, apps0 := count("SELECT COUNT(*) FROM hotline_orders"), count("SELECT COUNT(*) FROM casework_applications")
		lastApp := count("SELECT MAX(id) FROM casework_applications")
		const orders, apps = 1500, 300
		err = benchdata.Seed(ctx, benchdata.Deps{DB: db, Flow: a.Flow, Calendar: a.Calendar.Current()},
			benchdata.Options{Orders: orders, Applications: apps, Now: now, Seed: 1}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if got := count("SELECT COUNT(*) FROM hotline_orders") - orders0; got != orders {
			t.Errorf("%d orders seeded, want %d", got, orders)
		}
		if got := count("SELECT COUNT(*) FROM casework_applications") - apps0; got != apps {
			t.Errorf("%d applications seeded, want %d", got, apps)
		}
		for q, want := range map[string]int{
			// Approved applications carry their certificate.
			fmt.Sprintf("SELECT COUNT(*) FROM casework_applications a LEFT JOIN certificates c ON c.id = a.certificate_id WHERE a.id > %d AND a.status = 'approved' AND c.id IS NULL", lastApp): 0,
			// Every order has its own instance, and every instance a history.
			"SELECT COUNT(*) FROM hotline_orders o LEFT JOIN flow_instances i ON i.id = o.instance_id AND i.subject_id = o.id WHERE i.id IS NULL": 0,
			"SELECT COUNT(*) FROM flow_instances i WHERE NOT EXISTS (SELECT 1 FROM flow_history h WHERE h.instance_id = i.id)":                    0,
			// Open instances wait somewhere; finished ones nowhere.
			"SELECT COUNT(*) FROM flow_instances i WHERE i.status <> 'done' AND NOT EXISTS (SELECT 1 FROM flow_instance_waits w WHERE w.instance_id = i.id)": 0,
			"SELECT COUNT(*) FROM flow_instance_waits w JOIN flow_instances i ON i.id = w.instance_id WHERE i.status = 'done'":                               0,
		} {
			if got := count(q); got != want {
				t.Errorf("%s = %d, want %d", q, got, want)
			}
		}
		// About a fifth of the orders are open, the overdue among them
		// with a fired timer.
		open := count("SELECT COUNT(*) FROM flow_instances WHERE subject_type = '" + hotline.Kind + "' AND status <> 'done'")
		if open < orders/10 || open > orders/3 {
			t.Errorf("%d of %d orders open, want about a fifth", open, orders)
		}
		if n := count("SELECT COUNT(*) FROM flow_timers WHERE fired_at IS NOT NULL"); n == 0 {
			t.Error("no overdue timer seeded")
		}
		if got := checkNames(t, db); !slices.Equal(got, checks) {
			t.Errorf("indexes and foreign keys after seeding:\n%v\nbefore:\n%v", got, checks)
		}
		// The id sequences moved past the seeded rows: a new order gets an id.
		if db.Kind() == store.Postgres {
			var id, maxID int64
			if err := db.QueryRowContext(ctx, "SELECT nextval(pg_get_serial_sequence('hotline_orders', 'id')), (SELECT MAX(id) FROM hotline_orders)").Scan(&id, &maxID); err != nil {
				t.Fatal(err)
			}
			if id <= maxID {
				t.Errorf("next order id %d, want above %d", id, maxID)
			}
		} else if rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check"); err != nil {
			t.Fatal(err)
		} else {
			if rows.Next() {
				t.Error("rows without their parent after seeding")
			}
			rows.Close()
		}
	})
}

// checkNames lists the indexes and foreign keys of the seeded tables.
func checkNames(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT name || ' ' || sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN
		('hotline_orders', 'flow_instances', 'flow_history', 'flow_timers', 'flow_instance_waits', 'casework_applications', 'certificates', 'hotline_order_assists')
		ORDER BY name`
	if db.Kind() == store.Postgres {
		q = `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename IN
			('hotline_orders', 'flow_instances', 'flow_history', 'flow_timers', 'flow_instance_waits', 'casework_applications', 'certificates', 'hotline_order_assists')
		UNION ALL
		SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
		ORDER BY 1`
	}
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if len(out) < 10 {
		t.Fatalf("only %d indexes found: %v", len(out), out)
	}
	return out
}
