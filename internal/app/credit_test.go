package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// 信用核查 before 告知承诺: a business the credit module puts on the serious
// list (three years unremoved on the abnormal list) is refused the
// commitment path by casework, through the checker the app wires in.
func TestSeriousListReachesCasework(t *testing.T) {
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
		chk := creditChecker{StoreCredit: &casework.StoreCredit{DB: a.DB, Box: a.Box, Audit: a.Audit, Now: time.Now},
			credit: a.Credit, now: time.Now}
		ent := casework.Subject{Kind: casework.Enterprise, USCC: demo.EnterpriseUSCC()}
		if bad, err := chk.SeriousViolation(ctx, ent); err != nil || bad {
			t.Fatalf("before listing: %v %v", bad, err)
		}
		u, err := a.Org.GetUser(ctx, seeded.Users["handler_scj"])
		if err != nil {
			t.Fatal(err)
		}
		officer := &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs}
		listed := time.Now().AddDate(-3, -1, 0).Format("2006-01-02")
		if _, err := a.Credit.ListAsAbnormal(ctx, officer, credit.AbnormalInput{USCC: demo.EnterpriseUSCC(), Reason: "annual_report",
			ListedOn: listed}); err != nil {
			t.Fatal(err)
		}
		if bad, err := chk.SeriousViolation(ctx, ent); err != nil || !bad {
			t.Errorf("after three years on the abnormal list: %v %v", bad, err)
		}
		// The service hall's question goes through 信用核查, refused, and
		// the business sees that it was checked for 告知承诺.
		if refused, err := chk.CommitmentRefused(ctx, ent); err != nil || !refused {
			t.Errorf("commitment through 信用核查: %v %v", refused, err)
		}
		var logged int
		_ = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM credit_checks WHERE uscc = ? AND purpose = 'commitment' AND allowed = ?",
			demo.EnterpriseUSCC(), false).Scan(&logged)
		if logged != 1 {
			t.Errorf("refused commitment checks logged: %d, want 1", logged)
		}
		// The window clerk's department keeps no lists.
		c, _ := a.Org.GetUser(ctx, seeded.Users["clerk_lj"])
		clerk := &auth.Actor{UserID: c.ID, Roles: c.Roles, RegionCode: c.RegionCode, DepartmentIDs: c.DepartmentIDs}
		if _, err := a.Credit.ListAsAbnormal(ctx, clerk, credit.AbnormalInput{USCC: demo.EnterpriseUSCC(), Reason: "false_info",
			ListedOn: listed}); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("clerk lists: %v", err)
		}
	})
}
