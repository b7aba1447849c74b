// Package demo fills a fresh database with a fictional city — 云澜市 with
// three districts — its departments, one account per role and work in
// progress, so a newcomer can sign in as anyone and see a working day.
package demo

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
)

// Deps are the services the seed writes through, so demo data obeys the
// same validation and leaves the same audit trail as real data.
type Deps struct {
	DB    *store.DB
	Org   *org.Service
	Audit *audit.Log
}

// Seeded is what the demo created, for printing.
type Seeded struct {
	Accounts       []Account
	Departments    map[string]int64 // by department code
	Users          map[string]int64 // by username
	EnterpriseUSCC string
	// Open311Key is the api_key of the demo Open311 client.
	Open311Key string
}

// EnterpriseUSCC returns the unified social credit code of the demo
// enterprise: a valid code (check character per GB 32100) registered in the
// fictional 临江区.
func EnterpriseUSCC() string {
	body := "91990102MA01YL8A1"
	return body + string(ids.USCCCheck(body))
}

// CitizenID returns the demo citizen's identity number, valid per GB 11643,
// issued in the fictional 临江区.
func CitizenID() string {
	body := "99010219900307123"
	return body + string(ids.CitizenIDCheck(body))
}

// Seed writes the demo organisation: regions, departments and users. It is
// meant for an empty database and fails on a second run.
func Seed(ctx context.Context, d Deps) (*Seeded, error) {
	out := &Seeded{Departments: map[string]int64{}, Users: map[string]int64{}, EnterpriseUSCC: EnterpriseUSCC()}
	sys := auth.System()
	err := d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range regions {
			if _, err := d.Org.CreateRegion(ctx, tx, org.Region{Code: r.code, Name: r.name, NameEN: r.nameEN, ParentCode: r.parent}); err != nil {
				return fmt.Errorf("region %s: %w", r.code, err)
			}
		}
		for _, dep := range departments {
			created, err := d.Org.CreateDepartment(ctx, tx, org.NewDepartment{Code: dep.code, Name: dep.name, NameEN: dep.nameEN, RegionCode: dep.region})
			if err != nil {
				return fmt.Errorf("department %s: %w", dep.code, err)
			}
			out.Departments[dep.code] = created.ID
		}
		for _, a := range accounts {
			nu := org.NewUser{Username: a.username, DisplayName: a.name, Password: Password,
				Roles: a.roles, RegionCode: a.region, Phone: a.phone}
			for _, code := range a.depts {
				nu.DepartmentIDs = append(nu.DepartmentIDs, out.Departments[code])
			}
			if a.uscc {
				nu.USCC = out.EnterpriseUSCC
			}
			if a.citizenID == "citizen" {
				nu.CitizenID = CitizenID()
			}
			u, err := d.Org.CreateUser(ctx, tx, nu)
			if err != nil {
				return fmt.Errorf("user %s: %w", a.username, err)
			}
			out.Users[a.username] = u.ID
			out.Accounts = append(out.Accounts, Account{Username: a.username, Role: a.roles[0], Name: a.name, Note: a.note})
		}
		_, err := d.Audit.Append(ctx, tx, audit.Entry{ActorName: sys.Name, Action: "demo.seed",
			ObjectType: "region", ObjectID: CityCode, RegionCode: CityCode,
			Detail: map[string]int{"regions": len(regions), "departments": len(departments), "users": len(accounts)}})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return out, nil
}
