package casework_test

import (
	"context"
	"crypto/ed25519"
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

func TestSeedDemo(t *testing.T) {
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
		all, total, err := m.List(ctx, auth.System(), casework.Query{Limit: 50})
		if err != nil || total.Count != 6 {
			t.Fatalf("seeded %d applications: %v", total.Count, err)
		}
		byStatus := map[casework.Status]int{}
		instant, shortfall, agent := 0, 0, 0
		for _, a := range all {
			byStatus[a.Status]++
			if a.RuleVersion > 0 {
				instant++
			}
			if a.ShortfallOpen {
				shortfall++
			}
			if a.AgentUserID != 0 {
				agent++
			}
		}
		if byStatus[casework.StatusApproved] != 2 || byStatus[casework.StatusReview] != 1 || byStatus[casework.StatusCorrection] != 1 ||
			byStatus[casework.StatusSubmitted] != 2 || instant != 1 || shortfall != 1 || agent != 1 {
			t.Errorf("statuses %v, instant %d, shortfall %d, agent %d", byStatus, instant, shortfall, agent)
		}
	})
}
