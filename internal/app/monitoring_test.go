package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
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
		checkMonitoringList(t, a, station)
		if err := a.Monitoring.Close(ctx, cgj, als[0].ID, "不是我的"); !errors.Is(err, monitoring.ErrNotFound) {
			t.Errorf("another district closed an alert: %v", err)
		}
		if err := a.Monitoring.Close(ctx, scj, als[0].ID, "已现场核查并整改"); err != nil {
			t.Errorf("the department closing its alert: %v", err)
		}
	})
}

// checkMonitoringList walks the staff list of alerts over HTTP: the API
// and the export answer the station's department with its alerts, each
// with its acknowledgement limit in working days, filtered by code and
// grade (the Chinese name too); another district gets an empty list, a
// business and anonymous callers are refused, and a bad filter (a control
// character, an unknown state, an impossible date, a page too large) is
// 422.
func checkMonitoringList(t *testing.T, a *App, station string) {
	t.Helper()
	ctx := context.Background()
	srv := httptest.NewServer(a.Web.Handler())
	defer srv.Close()
	tokens := map[string]string{}
	get := func(user, path string) (int, http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if user != "" {
			if tokens[user] == "" {
				tok, _, err := a.Auth.SignIn(ctx, user, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
				if err != nil {
					t.Fatal(err)
				}
				tokens[user] = tok
			}
			req.AddCookie(&http.Cookie{Name: "ys_session", Value: tokens[user]})
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	api := "/api/v1/monitoring/alerts"
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "?" + v.Encode()
	}
	for _, c := range []struct {
		user, path string
		want       int
	}{
		{"", api, 401},
		{"yunlan_food", api, 403},
		{"", "/monitoring/export.xlsx", 303},
		{"yunlan_food", "/monitoring/export.xlsx", 403},
		{"handler_scj", api + q("uscc", "9115\x01"), 422},
		{"handler_scj", api + "?uscc=91150100%01", 422},
		{"handler_scj", api + q("state", "late"), 422},
		{"handler_scj", api + q("from", "2026-02-30"), 422},
		{"handler_scj", api + q("limit", "500"), 422},
		{"handler_scj", api + q("cursor", "x.y"), 400},
		{"handler_scj", "/monitoring/export.xlsx" + q("grade", "warn"), 422},
		{"handler_scj", "/monitoring" + q("state", "overdue"), 200},
		{"handler_scj", "/monitoring" + q("from", "2026-13-01"), 422},
	} {
		if got, _, b := get(c.user, c.path); got != c.want {
			t.Errorf("%s GET %s: %d, want %d: %.200s", c.user, c.path, got, c.want, b)
		}
	}
	type list struct {
		Items []struct {
			ID       int64     `json:"id"`
			USCC     string    `json:"uscc"`
			Grade    string    `json:"grade"`
			State    string    `json:"state"`
			AckDueAt time.Time `json:"ack_due_at"`
			AckLimit string    `json:"ack_limit"`
		} `json:"items"`
	}
	read := func(user, path string) list {
		t.Helper()
		code, _, b := get(user, path)
		var l list
		if code != 200 || json.Unmarshal(b, &l) != nil {
			t.Fatalf("%s GET %s: %d %.300s", user, path, code, b)
		}
		return l
	}
	all := read("handler_scj", api+q("uscc", station, "state", "all"))
	if len(all.Items) != 3 {
		t.Fatalf("the station's alerts: %d, want 3", len(all.Items))
	}
	for _, it := range all.Items {
		if it.AckDueAt.IsZero() || !strings.HasSuffix(it.AckLimit, "个工作日") {
			t.Errorf("alert %d: due %v, limit %q; want a working-day limit", it.ID, it.AckDueAt, it.AckLimit)
		}
	}
	if l := read("handler_scj", api+q("uscc", station, "grade", "检查", "state", "all")); len(l.Items) != 1 || l.Items[0].Grade != "check" {
		t.Errorf("检查 of the station: %+v, want one", l.Items)
	}
	if l := read("handler_qs", api+q("uscc", station, "state", "all")); len(l.Items) != 0 {
		t.Errorf("another district's handler lists %d of the station's alerts", len(l.Items))
	}
	code, h, b := get("supervisor", "/monitoring/export.xlsx"+q("uscc", station, "state", "all"))
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "spreadsheetml") || len(b) < 100 || string(b[:2]) != "PK" {
		t.Errorf("export: %d %s, %d bytes", code, h.Get("Content-Type"), len(b))
	}
	for _, path := range []string{fmt.Sprintf("/monitoring/alerts/%d", all.Items[0].ID), "/monitoring/rules"} {
		if code, _, page := get("handler_scj", path); code != 200 || !strings.Contains(string(page), "个工作日") {
			t.Errorf("GET %s: %d, the limit in working days not shown", path, code)
		}
	}
	if _, _, page := get("handler_scj", "/monitoring"); !strings.Contains(string(page), "个工作日") || !strings.Contains(string(page), "/monitoring/export.xlsx") {
		t.Error("the queue page shows neither the limits in working days nor the export")
	}
}
