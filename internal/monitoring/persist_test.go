package monitoring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/visit"
)

const fuelUSCC = "91150100MA0000001X"

// TestRestartContinuesEscalation stores alerts in the database: a service
// built afresh over the same database (a restart) keeps counting firings
// of the open alert, escalates at the same count, restores the rate rule's
// state from the stored readings and raises the check.
func TestRestartContinuesEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &Store{DB: db}
		tank, tok, err := st.Register(ctx, RegisteredDevice{Device: Device{USCC: fuelUSCC, Kind: "fuel_tank"}, DepartmentID: 7,
			Location: "1号罐", Unit: "L", RegionCode: "990102"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		var checks []visit.Assignment
		var reminds, interviews int
		resp := Responder{
			Remind:     func(context.Context, store.IDB, Alert) error { reminds++; return nil },
			Interview:  func(context.Context, store.IDB, Alert) error { interviews++; return nil },
			RaiseCheck: func(_ context.Context, _ store.IDB, a visit.Assignment) error { checks = append(checks, a); return nil },
		}
		now := t0.Add(30 * 24 * time.Hour)
		start := func() *Service {
			s := NewService(st, rules(t), resp)
			s.Now = func() time.Time { return now }
			return s
		}
		// Every hour 100 l dispensed, the tank falls by 300 l: 200 l/h
		// unexplained (limit 50) — a leak firing each hour after the first.
		hour := 0
		feed := func(s *Service) {
			t.Helper()
			at := t0.Add(time.Duration(hour) * time.Hour)
			if _, _, err := s.Ingest(ctx, tok, []Reading{
				{tank.ID, at, "dispensed_l", float64(1000 + 100*hour)},
				{tank.ID, at.Add(time.Second), "volume_l", float64(20000 - 300*hour)},
			}); err != nil {
				t.Fatalf("hour %d: %v", hour, err)
			}
			hour++
		}
		s := start()
		feed(s) // state only
		feed(s) // firing 1: opens at 约谈
		feed(s) // firing 2
		if interviews != 1 || len(checks) != 0 {
			t.Fatalf("before restart: %d interviews, %d checks", interviews, len(checks))
		}
		s = start() // restart: no state in memory
		feed(s)     // firing 3 (needs the restored last readings)
		if len(checks) != 0 {
			t.Fatalf("escalated at firing 3: %d checks", len(checks))
		}
		feed(s) // firing 4 = 1 + escalate_after 3 → 检查
		if len(checks) != 1 || checks[0].Source != visit.SourceMonitoring || checks[0].USCC != fuelUSCC || checks[0].DepartmentID != 7 {
			t.Fatalf("after restart: checks %+v, want one monitoring check for department 7", checks)
		}
		var id int64
		var grade string
		var firings int
		if err := db.QueryRowContext(ctx, `SELECT id, grade, firings FROM monitoring_alerts WHERE closed_at IS NULL`).Scan(&id, &grade, &firings); err != nil {
			t.Fatal(err)
		}
		if grade != string(GradeCheck) || firings != 4 {
			t.Errorf("alert grade %s firings %d, want check 4", grade, firings)
		}
		// One open alert per rule and device, in the database itself.
		if _, err := db.ExecContext(ctx, `INSERT INTO monitoring_alerts (rule_code, device_id, uscc, department_id, grade, firings, reason, opened_at, last_fired_at)
			VALUES ('tank-leak', ?, ?, 7, 'remind', 1, 'x', ?, ?)`, tank.ID, fuelUSCC, store.Time(now), store.Time(now)); err == nil {
			t.Error("a second open alert for the same rule and device was stored")
		}
		if err := st.Acknowledge(ctx, id, 42, now); err != nil {
			t.Fatal(err)
		}
		if err := st.CloseAlert(ctx, id, 42, "  ", now); err == nil {
			t.Error("closed without a note")
		}
		if err := st.CloseAlert(ctx, id, 42, "现场核查：液位仪故障，已更换", now); err != nil {
			t.Fatal(err)
		}
		if err := st.CloseAlert(ctx, id, 42, "again", now); !errors.Is(err, ErrNotOpen) {
			t.Errorf("closing twice: %v, want ErrNotOpen", err)
		}
		a, evs, err := st.Alert(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		want := []string{EventRaised, EventResponded, EventEscalated, EventResponded, EventAcknowledged, EventClosed}
		if !a.Closed || a.CloseNote == "" || len(kinds) != len(want) {
			t.Fatalf("history %v, want %v (closed %v)", kinds, want, a.Closed)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("history %v, want %v", kinds, want)
			}
		}
		// After closing, the next firing opens a new alert at the rule's grade.
		feed(s)
		if interviews != 2 || openAlerts(t, db) != 1 {
			t.Errorf("after close: %d interviews, %d open alerts; want 2 and 1", interviews, openAlerts(t, db))
		}
		if reminds != 0 {
			t.Errorf("%d reminders, want 0", reminds)
		}
	})
}

// TestFailedBatchLeavesNoState refuses a whole batch when a response fails,
// and the engine's state is read again from the database afterwards.
func TestFailedBatchLeavesNoState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := &Store{DB: db}
		cc, tok, err := st.Register(ctx, RegisteredDevice{Device: Device{USCC: fuelUSCC, Kind: "cold_chain"}, DepartmentID: 7, Location: "冷库", Unit: "℃"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		fail := true
		s := NewService(st, rules(t), Responder{Remind: func(context.Context, store.IDB, Alert) error {
			if fail {
				return errors.New("notify down")
			}
			return nil
		}})
		s.Now = func() time.Time { return t0.Add(time.Hour) }
		batch := []Reading{{cc.ID, t0, "temp_c", -18}, {cc.ID, t0.Add(time.Minute), "temp_c", -5}}
		if _, _, err := s.Ingest(ctx, tok, batch); err == nil {
			t.Fatal("batch stored although its response failed")
		}
		var n int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitoring_readings`).Scan(&n)
		if n != 0 || openAlerts(t, db) != 0 {
			t.Fatalf("after failure: %d readings, %d alerts; want none", n, openAlerts(t, db))
		}
		fail = false
		if _, acts, err := s.Ingest(ctx, tok, batch); err != nil || len(acts) != 1 {
			t.Fatalf("retry: %v, %d actions; want one remind", err, len(acts))
		}
		// The same batch again is idempotent: nothing new stored, nothing counted.
		if stored, acts, err := s.Ingest(ctx, tok, batch); err != nil || stored != 0 || len(acts) != 0 {
			t.Fatalf("repeat: stored %d, %d actions, %v", stored, len(acts), err)
		}
		var firings int
		db.QueryRowContext(ctx, `SELECT firings FROM monitoring_alerts`).Scan(&firings)
		if firings != 1 {
			t.Errorf("firings %d after a repeated batch, want 1", firings)
		}
	})
}
