package entity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	validpkg "github.com/yingshang/yingshang/internal/valid"
)

// Departments 1 (tax, YL-SW) and 2 (human resources, YL-RS) of the demo
// city, as the embedded catalogue names them.
var (
	taxOfficer = &auth.Actor{UserID: 11, Name: "税务 王芳", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{1}}
	hrOfficer  = &auth.Actor{UserID: 12, Name: "人社 赵敏", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{2}}
)

func factsSetup(t *testing.T, db *store.DB) *entity.Service {
	t.Helper()
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	codes := map[int64]string{1: "YL-SW", 2: "YL-RS"}
	s, err := entity.New(entity.Deps{DB: db, Box: box, Policy: auth.NewPolicy(), Now: func() time.Time { return now },
		DepartmentCode: func(_ context.Context, id int64) (string, error) { return codes[id], nil }})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 2; n++ {
		if _, _, err := s.Put(context.Background(), admin, input(n)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// A rule asks for a fact by name as of a date and gets the latest value
// reported as of that date, not a later one.
func TestFactsAsOfDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := factsSetup(t, db)
		ctx := context.Background()
		if _, err := s.PutFacts(ctx, taxOfficer, uscc(1), []entity.FactInput{{Name: "employees", Value: "10", AsOf: "2026-01-01"},
			{Name: "revenue", Value: "1,234,567.89", AsOf: "2026-01-01"}, {Name: "credit_grade_tax", Value: "A", AsOf: "2026-01-01"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutFacts(ctx, hrOfficer, uscc(1), []entity.FactInput{{Name: "employees", Value: "20", AsOf: "2026-06-01"}}); err != nil {
			t.Fatal(err)
		}
		names := []string{"employees", "revenue", "high_tech"}
		at := func(day string) map[string]entity.Fact {
			d, _ := calendar.ParseDate(day)
			m, err := s.Facts(ctx, uscc(1), names, d)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if m := at("2025-12-31"); len(m) != 0 {
			t.Errorf("before anything was reported: %v", m)
		}
		if m := at("2026-03-01"); m["employees"].Value != "10" || m["employees"].DepartmentID != 1 {
			t.Errorf("1 March: %+v", m["employees"])
		}
		m := at("2026-06-01")
		if n, ok := m["employees"].Int(); !ok || n != 20 || m["employees"].DepartmentID != 2 {
			t.Errorf("1 June: %+v", m["employees"])
		}
		if fen, ok := m["revenue"].Int(); !ok || fen != 123456789 || m["revenue"].Display() != "1234567.89" {
			t.Errorf("money in fen: %+v", m["revenue"])
		}
		if _, ok := m["high_tech"]; ok {
			t.Error("a fact never reported is present")
		}
		if other, _ := s.Facts(ctx, uscc(2), names, calendar.Date{}); len(other) != 0 {
			t.Errorf("another business's facts: %v", other)
		}
		// A business reads its own facts; another business cannot.
		own := &auth.Actor{UserID: 30, Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc(1)}
		if fs, err := s.FactsOf(ctx, own, uscc(1), calendar.Date{}); err != nil || len(fs) != 3 {
			t.Errorf("own facts: %+v %v", fs, err)
		}
		stranger := &auth.Actor{UserID: 31, Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc(2)}
		if _, err := s.FactsOf(ctx, stranger, uscc(1), calendar.Date{}); !errors.Is(err, entity.ErrNotFound) {
			t.Errorf("another business reads them: %v", err)
		}
	})
}

// A department writes only the facts it is the source of, each typed as
// declared; one refused fact stores none.
func TestFactsScopeAndTypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := factsSetup(t, db)
		ctx := context.Background()
		_, err := s.PutFacts(ctx, hrOfficer, uscc(1), []entity.FactInput{{Name: "employees", Value: "12", AsOf: "2026-05-01"},
			{Name: "tax_paid", Value: "100", AsOf: "2026-05-01"}})
		if fe := validpkg.Fields(err); len(fe) != 1 || fe[0].Path != "facts[1].name" {
			t.Errorf("human resources reports tax: %v", err)
		}
		for _, c := range []struct{ in entity.FactInput }{
			{entity.FactInput{Name: "revenue", Value: "12.345", AsOf: "2026-05-01"}},
			{entity.FactInput{Name: "revenue", Value: "一百", AsOf: "2026-05-01"}},
			{entity.FactInput{Name: "employees", Value: "-3", AsOf: "2026-05-01"}},
			{entity.FactInput{Name: "credit_grade_tax", Value: "AAA", AsOf: "2026-05-01"}},
			{entity.FactInput{Name: "employees", Value: "3", AsOf: "2027-05-01"}},
		} {
			_, err := s.PutFacts(ctx, taxOfficer, uscc(1), []entity.FactInput{c.in})
			if fe := validpkg.Fields(err); len(fe) != 1 || !strings.HasPrefix(fe[0].Path, "facts[0].") {
				t.Errorf("%+v: %v", c.in, err)
			}
		}
		if _, err := s.PutFacts(ctx, taxOfficer, uscc(1), []entity.FactInput{{Name: "no_such_fact", Value: "1", AsOf: "2026-05-01"}}); validpkg.Fields(err) == nil {
			t.Errorf("undeclared fact: %v", err)
		}
		ent := &auth.Actor{UserID: 30, Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc(1)}
		if _, err := s.PutFacts(ctx, ent, uscc(1), []entity.FactInput{{Name: "employees", Value: "1", AsOf: "2026-05-01"}}); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("a business reports its own facts: %v", err)
		}
		var n int
		db.QueryRow("SELECT COUNT(*) FROM entity_facts").Scan(&n)
		if n != 0 {
			t.Errorf("%d facts stored from refused reports", n)
		}
	})
}

// An import names each refused row and field and stores nothing; a clean
// file is stored whole, with progress reported.
func TestFactsImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := factsSetup(t, db)
		ctx := context.Background()
		bad := "统一社会信用代码,指标,数值,截至日期\n" +
			uscc(1) + ",revenue,1000.50,2026-03-31\n" +
			uscc(1) + ",revenue,lots,2026-03-31\n" +
			uscc(9) + ",tax_paid,10,2026-03-31\n" +
			uscc(2) + ",employees,5,2026-03-31\n"
		rep, err := s.ImportFacts(ctx, taxOfficer, strings.NewReader(bad), entity.ImportOptions{Format: "csv"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Applied || rep.Rows != 4 || rep.RejectedRows != 2 || rep.Created != 0 {
			t.Errorf("report: %+v", rep)
		}
		want := []entity.Rejected{{Row: 3, Field: "value"}, {Row: 4, Field: "uscc"}}
		if len(rep.Rejected) != len(want) {
			t.Fatalf("rejected: %+v", rep.Rejected)
		}
		for i, w := range want {
			if rep.Rejected[i].Row != w.Row || rep.Rejected[i].Field != w.Field || rep.Rejected[i].Message == "" {
				t.Errorf("rejected[%d] = %+v, want row %d field %s", i, rep.Rejected[i], w.Row, w.Field)
			}
		}
		var n int
		db.QueryRow("SELECT COUNT(*) FROM entity_facts").Scan(&n)
		if n != 0 {
			t.Errorf("%d facts stored by a refused import", n)
		}
		var good strings.Builder
		good.WriteString("uscc,name,value,as_of\n")
		for i := 0; i < 25; i++ {
			fmt.Fprintf(&good, "%s,tax_paid,%d.00,2026-%02d-01\n", uscc(1+i%2), 100+i, 1+i%12)
		}
		var progress []int
		rep, err = s.ImportFacts(ctx, taxOfficer, strings.NewReader(good.String()), entity.ImportOptions{Format: "csv",
			ProgressEvery: 10, Progress: func(n int) { progress = append(progress, n) }})
		if err != nil || !rep.Applied || rep.Created != 25 {
			t.Fatalf("clean import: %+v %v", rep, err)
		}
		if fmt.Sprint(progress) != "[10 20 25]" {
			t.Errorf("progress %v", progress)
		}
		if _, err := s.ImportFacts(ctx, taxOfficer, strings.NewReader("uscc,name\n"), entity.ImportOptions{Format: "csv"}); validpkg.Fields(err) == nil {
			t.Errorf("missing columns: %v", err)
		}
	})
}

// A city declares its own catalogue; a broken one is refused.
func TestFactCatalogueOverride(t *testing.T) {
	c, err := entity.ParseCatalogue([]byte(`{"facts": [{"name": "patents", "label": "专利数", "label_en": "Patents",
		"type": "integer", "unit": "件", "sources": ["SZ-ZSCQ"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := c.Def("patents"); !ok || d.Type != entity.FactInteger || d.Sources[0] != "SZ-ZSCQ" {
		t.Errorf("override: %+v", d)
	}
	for _, bad := range []string{`{"facts": [{"name": "X", "label": "x", "type": "integer", "sources": ["a"]}]}`,
		`{"facts": [{"name": "x", "label": "x", "type": "float", "sources": ["a"]}]}`,
		`{"facts": [{"name": "x", "label": "x", "type": "enum", "sources": ["a"]}]}`,
		`{"facts": [{"name": "x", "label": "x", "type": "text", "sources": []}]}`,
		`{"facts": [{"name": "x", "label": "x", "type": "text", "sources": ["a"]}, {"name": "x", "label": "y", "type": "text", "sources": ["a"]}]}`} {
		if _, err := entity.ParseCatalogue([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	if len(entity.DefaultCatalogue().Facts) < 10 {
		t.Error("the embedded catalogue is short")
	}
}
