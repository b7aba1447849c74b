package app

import (
	"context"
	"errors"
	"fmt"
	"github.com/yingshang/yingshang/internal/enforcement"
	"time"

	"github.com/yingshang/yingshang/internal/annualreport"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/inspection"
	"github.com/yingshang/yingshang/internal/knowledge"
	"github.com/yingshang/yingshang/internal/open311"
	"github.com/yingshang/yingshang/internal/policy"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/warning"
)

// ErrNotEmpty is returned by Empty for a database that already holds
// people: the demo writes its city only into an empty database, so that it
// never mixes with, or is mistaken for, a city's real data.
var ErrNotEmpty = errors.New("the database already holds data; the demo needs an empty database (SQLite: a new --data-dir; PostgreSQL: a new database)")

// Empty reports, as ErrNotEmpty, whether the database holds any account.
func (a *App) Empty(ctx context.Context) error {
	var n int
	if err := a.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n); err != nil {
		return fmt.Errorf("demo: check the database is empty: %w", err)
	}
	if n > 0 {
		return ErrNotEmpty
	}
	return nil
}

// SeedDemo fills an empty database with the demo city 云澜市: the
// organisation and accounts, cases in progress as of now, and each module's
// demo data, all written through the services so they obey the same rules
// and leave the same audit trail as real work.
func (a *App) SeedDemo(ctx context.Context, now time.Time) (*demo.Seeded, error) {
	d := demo.Deps{DB: a.DB, Org: a.Org, Audit: a.Audit}
	// The register first: enterprise accounts link only to registered
	// businesses.
	if err := entity.SeedDemo(ctx, a.Entities, demo.EnterpriseUSCC()); err != nil {
		return nil, fmt.Errorf("demo: register: %w", err)
	}
	seeded, err := demo.Seed(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := demo.SeedWork(ctx, d, a.Calendar.Current(), seeded, now); err != nil {
		return nil, err
	}
	if err := catalog.SeedDemo(ctx, a.Catalog, seeded.Departments); err != nil {
		return nil, fmt.Errorf("demo: catalogue: %w", err)
	}
	if err := catalog.SeedEventItems(ctx, a.Catalog, seeded.Departments); err != nil {
		return nil, fmt.Errorf("demo: catalogue: %w", err)
	}
	if err := certificate.SeedDemo(ctx, a.Certs, seeded.Departments, seeded.Users, demo.EnterpriseUSCC(), demo.CitizenID()); err != nil {
		return nil, fmt.Errorf("demo: certificates: %w", err)
	}
	if err := casework.SeedDemo(ctx, a.Casework, seeded.Departments, seeded.Users, demo.EnterpriseUSCC(), demo.CitizenID()); err != nil {
		return nil, fmt.Errorf("demo: applications: %w", err)
	}
	if err := casework.SeedBundleDemo(ctx, a.Casework, seeded.Users); err != nil {
		return nil, fmt.Errorf("demo: bundles: %w", err)
	}
	if err := credit.SeedDemo(ctx, a.Credit, seeded.Departments); err != nil {
		return nil, fmt.Errorf("demo: credit: %w", err)
	}
	if err := a.seedDemoRegister(ctx); err != nil {
		return nil, fmt.Errorf("demo: register: %w", err)
	}
	if err := credit.SeedDemoRecords(ctx, a.Credit, seeded.Departments, seeded.Users, demo.EnterpriseUSCC(), now); err != nil {
		return nil, fmt.Errorf("demo: credit records: %w", err)
	}
	if err := risk.SeedDemo(ctx, a.Risk, risk.DemoDeps{Register: a.Entities, Credit: a.Credit}, demo.EnterpriseUSCC(), now); err != nil {
		return nil, fmt.Errorf("demo: risk classes: %w", err)
	}
	if err := inspection.SeedDemo(ctx, a.Inspections, seeded.Departments, seeded.Users, now); err != nil {
		return nil, fmt.Errorf("demo: inspections: %w", err)
	}
	if err := annualreport.SeedDemo(ctx, a.AnnualReports, entity.DemoUSCC(1), entity.DemoUSCC(2)); err != nil {
		return nil, fmt.Errorf("demo: annual reports: %w", err)
	}
	if err := knowledge.SeedDemo(ctx, a.KB, seeded.Departments); err != nil {
		return nil, fmt.Errorf("demo: knowledge base: %w", err)
	}
	if err := hotline.SeedDemo(ctx, a.Hotline, seeded.Departments, seeded.Users, now, 0); err != nil {
		return nil, fmt.Errorf("demo: hotline: %w", err)
	}
	// After the hotline, whose closed orders are rated too.
	if err := a.seedDemoRatings(ctx); err != nil {
		return nil, err
	}
	if err := warning.SeedDemo(ctx, a.Warnings, demo.EnterpriseUSCC(), "990102"); err != nil {
		return nil, fmt.Errorf("demo: warnings: %w", err)
	}
	scj := []int64{seeded.Departments["LJ-SCJG"]}
	if err := enforcement.SeedDemo(ctx, a.Enforcement,
		&auth.Actor{UserID: seeded.Users["inspector_scj"], Name: "执法 马骏", Roles: []auth.Role{auth.RoleInspector}, RegionCode: "990102", DepartmentIDs: scj},
		&auth.Actor{UserID: seeded.Users["approver_scj"], Name: "审批 负责人", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: scj},
		demo.EnterpriseUSCC()); err != nil {
		return nil, fmt.Errorf("demo: enforcement: %w", err)
	}
	if err := a.Inbox.SeedDemo(ctx, seeded.Users["supervisor"], "督办 钱峰", demo.CityCode); err != nil {
		return nil, fmt.Errorf("demo: supervision: %w", err)
	}
	if err := policy.SeedDemo(ctx, a.Policies, seeded.Departments["YL-KJJ"], demo.CityCode); err != nil {
		return nil, fmt.Errorf("demo: policies: %w", err)
	}
	if err := a.seedDemoMonitoring(ctx, seeded.Departments, seeded.Users, demo.EnterpriseUSCC(), now); err != nil {
		return nil, fmt.Errorf("demo: monitoring: %w", err)
	}
	if seeded.Open311Key, err = open311.DemoAPIKey(ctx, a.DB, a.Org, a.Auth, demo.CityCode); err != nil {
		return nil, fmt.Errorf("demo: open311 key: %w", err)
	}
	return seeded, nil
}

// seedDemoRegister writes the register entries of the demo's businesses
// with credit information (the demo enterprise and two others).
func (a *App) seedDemoRegister(ctx context.Context) error {
	rep := "99010219800512342"
	for _, in := range []entity.Input{
		{USCC: demo.EnterpriseUSCC(), Name: "云澜味道餐饮有限公司", Type: "有限责任公司", LegalRep: "李娜",
			LegalRepID: rep + string(ids.CitizenIDCheck(rep)), Address: "云澜市临江区滨江路88号", RegionCode: "990102",
			Industry: "H6210", CapitalYuan: 2000000, EstablishedOn: "2018-05-20", Status: "存续", Scope: "餐饮服务；食品销售"},
		{USCC: credit.DemoBusinesses.Store, Name: "临江区青禾便利店", Type: "个体工商户", LegalRep: "王青禾",
			Address: "云澜市临江区青禾街12号", RegionCode: "990102", Industry: "F5212", CapitalYuan: 50000,
			EstablishedOn: "2020-09-01", Status: "存续"},
		{USCC: credit.DemoBusinesses.Trading, Name: "云澜恒远商贸有限公司", Type: "有限责任公司", LegalRep: "赵远",
			Address: "云澜市青山区工业大道3号", RegionCode: "990103", Industry: "F5191", CapitalYuan: 1000000,
			EstablishedOn: "2016-03-15", Status: "存续"},
	} {
		if _, _, err := a.Entities.Put(ctx, auth.System(), in); err != nil {
			return fmt.Errorf("%s: %w", in.USCC, err)
		}
	}
	return nil
}
