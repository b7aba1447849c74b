package casework_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestSeedBundleDemo checks the demo's "done when" at the service level
// with the real CEL rules: the demo enterprise applies for 开办餐饮店 with
// one form; two items are approved by their rules, one waits with 容缺.
func TestSeedBundleDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		box := mustBox()
		orgs := org.NewService(db, box, clock)
		orgs.Password = auth.TestPasswordParams
		log := audit.New(clock)
		cal := calendar.New(calendar.Official())
		eng := flow.New(db, func() flow.Calendar { return cal }, log, clock)
		policy := auth.NewPolicy()
		seeded, err := demo.Seed(ctx, demo.Deps{DB: db, Org: orgs, Audit: log})
		if err != nil {
			t.Fatal(err)
		}
		cat, err := catalog.New(catalog.Deps{DB: db, Org: orgs, Policy: policy, Audit: log, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		certs, err := certificate.New(certificate.Deps{DB: db, Org: orgs, Policy: policy, Audit: log, Flow: eng, Box: box,
			Signer: certificate.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32))), Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		if err := certs.LoadDefinitions(ctx); err != nil {
			t.Fatal(err)
		}
		if err := catalog.SeedDemo(ctx, cat, seeded.Departments); err != nil {
			t.Fatal(err)
		}
		if err := catalog.SeedEventItems(ctx, cat, seeded.Departments); err != nil {
			t.Fatal(err)
		}
		if err := certificate.SeedDemo(ctx, certs, seeded.Departments, seeded.Users, demo.EnterpriseUSCC(), demo.CitizenID()); err != nil {
			t.Fatal(err)
		}
		m, err := casework.New(casework.Deps{DB: db, Flow: eng, Org: orgs, Policy: policy, Audit: log, Catalog: cat,
			Certs: certs.Service, Box: box, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.LoadDefinitions(ctx); err != nil {
			t.Fatal(err)
		}
		if err := casework.SeedDemo(ctx, m, seeded.Departments, seeded.Users, demo.EnterpriseUSCC(), demo.CitizenID()); err != nil {
			t.Fatal(err)
		}
		if err := casework.SeedBundleDemo(ctx, m, seeded.Users); err != nil {
			t.Fatal(err)
		}
		uid := seeded.Users["yunlan_food"]
		u, err := orgs.GetUser(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		ent := &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, USCC: u.USCC}
		_, mg, err := m.BundleGuide(ctx, casework.DemoBundle)
		if err != nil {
			t.Fatal(err)
		}
		// The business licence the registration issues is asked of no one.
		if len(mg.Items) != 3 || mg.Saved() != 5 || len(mg.Produced) != 1 || mg.Produced[0].Name != "营业执照" {
			t.Fatalf("demo bundle: %d items, %d saved", len(mg.Items), mg.Saved())
		}
		in := casework.BundleInput{BundleCode: casework.DemoBundle, EnterpriseName: "云澜味道餐饮有限公司",
			Form: map[string]string{"trade_name": "云澜味道滨江店", "operator_name": "李娜", "operator_id": demo.CitizenID(),
				"phone": "13800000002", "premises": "云澜市临江区滨江路88号", "capital": "200000", "form_of_business": "个人经营",
				"scope": "餐饮服务", "area": "180", "items": "热食类食品制售", "format": "餐饮服务经营者", "staff_count": "12",
				"uscc": demo.EnterpriseUSCC(), "venue_type": "文化娱乐场所"},
			ShortfallDue: m.DefaultShortfallDue()}
		for _, mm := range mg.Materials {
			g := casework.BundleMaterialInput{Key: mm.Key}
			switch {
			case mm.Key == "cert:CT-YYZZ":
				g.Consent = true
			case strings.Contains(mm.Name(), "食品安全管理制度"):
				g.Shortfall = true
			case mm.Class != catalog.ClassOptional:
				g.File = upload(mm.Name() + ".pdf")
			}
			in.Materials = append(in.Materials, g)
		}
		ba, err := m.SubmitBundle(ctx, ent, in)
		if err != nil {
			t.Fatal(err)
		}
		reg, food, site := ba.Children[0], ba.Children[1], ba.Children[2]
		if reg.Status != casework.StatusApproved || reg.RuleVersion == 0 || site.Status != casework.StatusApproved ||
			site.RuleVersion == 0 || site.CertificateID == 0 {
			t.Errorf("instant: %s/%d, %s/%d", reg.Status, reg.RuleVersion, site.Status, site.RuleVersion)
		}
		if food.Status != casework.StatusSubmitted || !food.ShortfallOpen {
			t.Errorf("容缺: %s %v", food.Status, food.ShortfallOpen)
		}
		// The seeded cross-region application was forwarded to 临江区.
		qs, _ := orgs.GetUser(ctx, seeded.Users["clerk_qs"])
		list, err := m.CrossRegionApps(ctx, &auth.Actor{UserID: qs.ID, Roles: qs.Roles, RegionCode: qs.RegionCode}, 10)
		if err != nil || len(list) != 1 || list[0].Status != casework.StatusForwarded || list[0].IntakeRegion != "990103" {
			t.Errorf("cross-region demo: %v %v", list, err)
		}

		// The national key matters: published, each shared material and
		// field asked once.
		// (新生儿出生: the birth certificate its first item issues is asked
		// of no one.)
		saved := map[string]int{"YJS-QYXXBG": 3, "YJS-KBYSQY": 3, "YJS-XSECS": 7, "YJS-TX": 2, "YJS-JYZTZX": 2}
		for code, want := range saved {
			b, mg, err := m.BundleGuide(ctx, code)
			if err != nil || mg == nil {
				t.Errorf("bundle %s: %v", code, err)
				continue
			}
			if mg.Saved() != want {
				t.Errorf("%s (%s): %d materials saved, want %d", code, b.Name, mg.Saved(), want)
			}
		}
		_, mg, err = m.BundleGuide(ctx, "YJS-QYXXBG")
		if err != nil {
			t.Fatal(err)
		}
		change := casework.BundleInput{BundleCode: "YJS-QYXXBG", EnterpriseName: "云澜味道餐饮有限公司",
			Form: map[string]string{"uscc": demo.EnterpriseUSCC(), "change_items": "住所",
				"change_detail": "由临江区滨江路88号变更为临江区江滨街道幸福里20号"}}
		var keys []string
		for _, mm := range mg.Materials {
			keys = append(keys, mm.Key)
			g := casework.BundleMaterialInput{Key: mm.Key}
			switch {
			case mm.Key == "cert:CT-YYZZ":
				g.Consent = true
			case mm.Class != catalog.ClassOptional:
				g.File = upload(mm.Name() + ".pdf")
			}
			change.Materials = append(change.Materials, g)
		}
		if n := strings.Count(strings.Join(keys, " "), "cert:CT-YYZZ"); n != 1 || len(mg.Fields) != 3 {
			t.Errorf("企业信息变更 merged: licence asked %d times, %d fields", n, len(mg.Fields))
		}
		cb, err := m.SubmitBundle(ctx, ent, change)
		if err != nil {
			t.Fatal(err)
		}
		depts := map[int64]bool{}
		for _, c := range cb.Children {
			depts[c.DepartmentID] = true
			if c.Form["change_items"] != "住所" {
				t.Errorf("%s did not get the shared field: %v", c.ItemCode, c.Form)
			}
		}
		if len(cb.Children) != 4 || len(depts) != 4 {
			t.Errorf("企业信息变更 split into %d applications for %d departments", len(cb.Children), len(depts))
		}
	})
}
