package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/monitoring"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The demo fuel station's readings raised one alert of each grade through
// the real ingest path: the 检查 became a visit assignment, the 提醒 of
// the demo restaurant reached its account through notify, the 约谈 left a
// record. The market regulator's handler sees the station's devices and
// alerts; another district's handler gets 404 and may not register a
// device for a business; the restaurant sees its own prompt only.
func TestMonitoringDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for {
			n, err := a.Outbox.RunOnce(ctx, 500)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		actor := func(name string) *auth.Actor {
			u, err := a.Org.GetUser(ctx, seeded.Users[name])
			if err != nil {
				t.Fatal(err)
			}
			return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}
		}
		scj, cgj, food := actor("handler_scj"), actor("handler_qs"), actor("yunlan_food")
		station := monitoring.DemoFuelStation()
		grades := map[monitoring.Grade]int{}
		als, _, err := a.Monitoring.Alerts(ctx, scj, monitoring.AlertFilter{USCC: station, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, al := range als {
			grades[al.Grade]++
		}
		if grades[monitoring.GradeRemind] != 1 || grades[monitoring.GradeInterview] != 1 || grades[monitoring.GradeCheck] != 1 {
			t.Fatalf("fuel station alerts by grade %v, want one of each", grades)
		}
		var visits, interviews, prompts int
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM visit_assignments WHERE source = 'monitoring' AND uscc = ?`, station).Scan(&visits)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM monitoring_interviews WHERE uscc = ?`, station).Scan(&interviews)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_messages WHERE object_type = 'monitoring_alert' AND user_id = ?`, food.UserID).Scan(&prompts)
		if visits != 1 || interviews < 1 || prompts != 1 {
			t.Errorf("visits %d, interviews %d, prompts to the restaurant %d; want 1, ≥1, 1", visits, interviews, prompts)
		}
		if _, err := a.Monitoring.GetAlert(ctx, cgj, als[0].ID); !errors.Is(err, monitoring.ErrNotFound) {
			t.Errorf("another district's handler read an alert: %v", err)
		}
		if _, err := a.Monitoring.GetDevice(ctx, food, als[0].DeviceID); !errors.Is(err, monitoring.ErrNotFound) {
			t.Errorf("the restaurant read the station's device: %v", err)
		}
		if own, _, _ := a.Monitoring.Alerts(ctx, food, monitoring.AlertFilter{Limit: 50}); len(own) != 1 || own[0].USCC != food.USCC {
			t.Errorf("restaurant's alerts %+v, want its own one", own)
		}
		if ds, _, _ := a.Monitoring.Devices(ctx, cgj, monitoring.DeviceFilter{}); len(ds) != 0 {
			t.Errorf("another district lists %d devices, want 0", len(ds))
		}
		if ds, _, _ := a.Monitoring.Devices(ctx, scj, monitoring.DeviceFilter{Query: "加油站"}); len(ds) != 2 {
			t.Errorf("search by name: %d devices, want the station's 2", len(ds))
		}
		if _, _, err := a.Monitoring.RegisterDevice(ctx, food, 0, station, "dispenser", "x", "%"); err == nil {
			t.Error("a business registered a device")
		}
		if err := a.Monitoring.Close(ctx, cgj, als[0].ID, "不是我的"); !errors.Is(err, monitoring.ErrNotFound) {
			t.Errorf("another district closed an alert: %v", err)
		}
		if err := a.Monitoring.Close(ctx, scj, als[0].ID, "已现场核查并整改"); err != nil {
			t.Errorf("the department closing its alert: %v", err)
		}
	})
}
