package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// drain delivers every pending outbox event.
func drain(t *testing.T, a *App) {
	t.Helper()
	for {
		n, err := a.Outbox.RunOnce(context.Background(), 500)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func recordsOf(t *testing.T, a *App, uscc string, kind credit.Kind) []credit.Record {
	t.Helper()
	st, err := a.Credit.StateOf(context.Background(), auth.System(), uscc, calendar.Date{})
	if err != nil {
		t.Fatal(err)
	}
	var out []credit.Record
	for _, r := range st.Records {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// The demo's approved applications of the demo enterprise become 行政许可
// records, and the demo's filed annual reports 年度报告 records, once each
// however often the events are delivered.
func TestEventsBecomeCreditRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		drain(t, a)
		var approved int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM casework_applications WHERE applicant_uscc = ? AND decision = 'approve'`,
			demo.EnterpriseUSCC()).Scan(&approved); err != nil {
			t.Fatal(err)
		}
		licences := recordsOf(t, a, demo.EnterpriseUSCC(), credit.KindLicense)
		if approved == 0 || len(licences) != approved {
			t.Fatalf("%d approvals, %d licence records: %+v", approved, len(licences), licences)
		}
		for _, r := range licences {
			if !strings.HasPrefix(r.DecisionNo, "许可-") || r.PublishedOn == nil {
				t.Errorf("licence record: %+v", r)
			}
		}
		reports := recordsOf(t, a, entity.DemoUSCC(1), credit.KindAnnualReport)
		if len(reports) != 1 || !strings.HasPrefix(reports[0].DecisionNo, "年报") {
			t.Errorf("annual report records: %+v", reports)
		}
		// Redelivery writes nothing more.
		if _, err := db.ExecContext(ctx, "UPDATE outbox SET delivered_at = NULL WHERE topic IN ('casework.decided', 'annualreport.filed')"); err != nil {
			t.Fatal(err)
		}
		drain(t, a)
		if n := len(recordsOf(t, a, demo.EnterpriseUSCC(), credit.KindLicense)); n != approved {
			t.Errorf("after redelivery %d licence records, want %d", n, approved)
		}
		if n := len(recordsOf(t, a, entity.DemoUSCC(1), credit.KindAnnualReport)); n != 1 {
			t.Errorf("after redelivery %d annual report records", n)
		}
	})
}

// An enterprise account is linked only to a business of the register.
func TestEnterpriseLinkNeedsRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SeedDemo(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		unknown := "91990103MA01YL9B0"
		unknown += string(ids.USCCCheck(unknown))
		nu := org.NewUser{Username: "new_ent", DisplayName: "新企业", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102",
			USCC: unknown, Password: "Qiu-shui-2468"}
		_, err = a.Org.CreateUser(ctx, a.DB, nu)
		if fe := org.FieldErrors(err); len(fe) != 1 || fe[0].Field != "uscc" {
			t.Errorf("unregistered code: %v", err)
		}
		nu.USCC = entity.DemoUSCC(3)
		u, err := a.Org.CreateUser(ctx, a.DB, nu)
		if err != nil {
			t.Fatalf("registered code: %v", err)
		}
		if _, err := a.Org.UpdateUser(ctx, a.DB, u.ID, org.UserUpdate{USCC: &unknown}); len(org.FieldErrors(err)) != 1 {
			t.Errorf("relinked to an unregistered code: %v", err)
		}
	})
}
