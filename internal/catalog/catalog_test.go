package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// world is a catalogue over the demo departments of 云澜市, with an
// administrator of the city, an approver of the district market bureau and
// one of the district urban-management bureau.
type world struct {
	db     *store.DB
	m      *catalog.Module
	srv    *httptest.Server
	depts  map[string]int64
	actors map[string]*auth.Actor
	bundle *web.Server
}

func setup(t *testing.T, db *store.DB, index ...*search.Index) *world {
	t.Helper()
	return setupWith(t, db, nil, index...)
}

// setupWithRevisions is setup with the versions pages mounted.
func setupWithRevisions(t *testing.T, db *store.DB) *world {
	t.Helper()
	return setupWith(t, db, revision.NewPages(db, revision.Store{}))
}

func setupWith(t *testing.T, db *store.DB, revs *revision.Pages, index ...*search.Index) *world {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
	w := &world{db: db, depts: map[string]int64{}, actors: map[string]*auth.Actor{}}
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"},
			{Code: "990103", Name: "青山区", ParentCode: "990100"}, {Code: "990104", Name: "新港区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, d := range []struct{ code, name, region string }{
			{"LJ-SCJG", "临江区市场监督管理局", "990102"}, {"LJ-CGJ", "临江区城市管理局", "990102"},
			{"YL-WJW", "云澜市卫生健康委员会", "990100"}, {"YL-ZJ", "云澜市住房和城乡建设局", "990100"},
			{"YL-SHJ", "云澜市生态环境局", "990100"}} {
			created, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: d.code, Name: d.name, RegionCode: d.region})
			if err != nil {
				return err
			}
			w.depts[d.code] = created.ID
		}
		for _, u := range []org.NewUser{
			{Username: "admin", DisplayName: "管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"},
			{Username: "appr_scj", DisplayName: "审批甲", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-SCJG"]}},
			{Username: "appr_cgj", DisplayName: "审批乙", Roles: []auth.Role{auth.RoleApprover}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-CGJ"]}},
		} {
			u.Password = "Qiu-shui-2468"
			created, err := orgs.CreateUser(ctx, tx, u)
			if err != nil {
				return err
			}
			w.actors[u.Username] = &auth.Actor{UserID: created.ID, Name: u.DisplayName, Roles: u.Roles,
				RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deps := catalog.Deps{DB: db, Org: orgs, Policy: auth.NewPolicy(), Audit: audit.New(clock), Revisions: revs, Now: clock}
	if len(index) > 0 && index[0] != nil {
		deps.Search = index[0]
	}
	m, err := catalog.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	w.m = m
	modules := []web.Module{m}
	if revs != nil {
		modules = append(modules, revs)
	}
	s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: modules, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bundle().Check(); err != nil {
		t.Errorf("messages: %v", err)
	}
	w.bundle = s
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

// food returns a complete draft of the market bureau.
func (w *world) food() catalog.Draft {
	return catalog.Draft{Code: "990102-XK-900", Name: "小餐饮登记", DepartmentID: w.depts["LJ-SCJG"],
		Type: catalog.TypeLicensing, LegalBasis: "《中华人民共和国食品安全法》第三十六条", Conditions: "从事小餐饮经营",
		LegalLimitDays: 20, PromisedLimitDays: 5, Window: catalog.Window{Address: "临江区政务服务中心"},
		Materials: []catalog.Material{{Name: "登记表", Class: catalog.ClassRequired},
			{Name: "营业执照", Class: catalog.ClassShared, CertificateType: "CT-YYZZ"}},
		Fields: []catalog.FormField{{Key: "area", Label: "面积", Type: catalog.FieldNumber, Required: true}}}
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	n, err := db.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestValidationRefusesAndStoresNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		cases := []struct {
			name  string
			edit  func(d *catalog.Draft)
			field string
		}{
			{"promised over legal", func(d *catalog.Draft) { d.PromisedLimitDays = 25 }, "promised_limit_days"},
			{"instant with a promised limit", func(d *catalog.Draft) { d.Kind = catalog.KindInstant }, "kind"},
			{"promised kind without a limit", func(d *catalog.Draft) { d.Kind = catalog.KindPromised; d.PromisedLimitDays = 0 }, "kind"},
			{"unknown department", func(d *catalog.Draft) { d.DepartmentID = 9999 }, "department_id"},
			{"bad material class", func(d *catalog.Draft) { d.Materials[0].Class = "urgent" }, "materials[0].class"},
			{"shared without certificate", func(d *catalog.Draft) { d.Materials[1].CertificateType = "" }, "materials[1].certificate_type"},
			{"code of another region", func(d *catalog.Draft) { d.Code = "990103-XK-001" }, "code"},
			{"choice without options", func(d *catalog.Draft) { d.Fields[0].Type = catalog.FieldChoice }, "fields[0].options"},
			{"replaceable without commitment", func(d *catalog.Draft) { d.Materials[0].CommitmentReplaceable = true }, "materials[0].commitment_replaceable"},
			{"fee without basis", func(d *catalog.Draft) { d.Fee.Fen = 1000 }, "fee.basis"},
		}
		for _, c := range cases {
			d := w.food()
			c.edit(&d)
			_, err := w.m.Create(ctx, w.actors["admin"], d)
			if !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", c.name, err)
				continue
			}
			found := false
			for _, fe := range catalog.FieldErrors(err) {
				found = found || fe.Path == c.field
			}
			if !found {
				t.Errorf("%s: no error on %s in %v", c.name, c.field, err)
			}
			if web.StatusOf(err) != http.StatusUnprocessableEntity {
				t.Errorf("%s: HTTP status %d, want 422", c.name, web.StatusOf(err))
			}
		}
		for _, table := range []string{"catalog_items", "catalog_materials", "catalog_fields", "catalog_versions"} {
			if n := count(t, db, table); n != 0 {
				t.Errorf("%s holds %d rows after refusals", table, n)
			}
		}
		// Kind is derived from the promised limit.
		d := w.food()
		d.PromisedLimitDays = 0
		it, err := w.m.Create(ctx, w.actors["admin"], d)
		if err != nil || it.Kind != catalog.KindInstant || !it.Instant() {
			t.Fatalf("instant item: %+v, %v", it, err)
		}
		// The same code twice in a region is a conflict.
		if _, err := w.m.Create(ctx, w.actors["admin"], d); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("duplicate code: %v, want ErrConflict", err)
		}
	})
}

func TestFilesCheckedByContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		a := w.actors["appr_scj"]
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
		big := append([]byte("%PDF-1.7\n"), make([]byte, catalog.MaxFileSize)...)
		for name, data := range map[string][]byte{
			"script.pdf": []byte("#!/bin/sh\nrm -rf /\n"), // claims PDF, is not
			"big.pdf":    big,
			"empty.png":  nil,
		} {
			if _, err := w.m.PutFile(ctx, a, name, data); !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if n := count(t, db, "catalog_files"); n != 0 {
			t.Fatalf("%d files stored after refusals", n)
		}
		ref, err := w.m.PutFile(ctx, a, `C:\forms\样表.png`, png)
		if err != nil || ref.ContentType != catalog.TypePNG || ref.Name != "样表.png" || len(ref.SHA256) != 64 {
			t.Fatalf("png: %+v, %v", ref, err)
		}
		// The same content is stored once.
		if _, err := w.m.PutFile(ctx, a, "again.png", png); err != nil || count(t, db, "catalog_files") != 1 {
			t.Errorf("second upload of the same content: %v, %d rows", err, count(t, db, "catalog_files"))
		}
		if _, err := w.m.PutFile(ctx, &auth.Actor{UserID: 99, Roles: []auth.Role{auth.RoleCitizen}}, "x.png", png); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("citizen upload: %v, want forbidden", err)
		}
	})
}

func TestPublishedVersionsAreImmutable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		a := w.actors["appr_scj"]
		d := w.food()
		d.Rule = &catalog.ApprovalRule{Expr: "form.area <= 50"}
		it, err := w.m.Create(ctx, a, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Published(ctx, d.Code); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("draft visible to the public: %v", err)
		}
		v1, err := w.m.Publish(ctx, a, it.ID, it.RowVersion)
		if err != nil || v1.Version != 1 || v1.Status != catalog.StatusPublished {
			t.Fatalf("publish: %+v, %v", v1, err)
		}
		if _, err := w.m.Publish(ctx, a, it.ID, 0); !errors.Is(err, catalog.ErrState) {
			t.Errorf("publishing without changes: %v, want ErrState", err)
		}
		// Later edits change neither version 1 nor what the public see.
		d.Name = "小餐饮经营许可"
		d.PromisedLimitDays = 3
		d.Materials = append(d.Materials, catalog.Material{Name: "健康证明", Class: catalog.ClassShortfall})
		d.Rule = &catalog.ApprovalRule{Expr: "form.area <= 80"}
		if _, err := w.m.Update(ctx, a, it.ID, d, 1); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("stale row version: %v, want ErrConflict", err)
		}
		cur, _ := w.m.Working(ctx, a, it.ID)
		up, err := w.m.Update(ctx, a, it.ID, d, cur.RowVersion)
		if err != nil || !up.Dirty || up.Rule.Version != 2 {
			t.Fatalf("update: %+v, %v", up, err)
		}
		got, err := w.m.Version(ctx, d.Code, 1)
		if err != nil || got.Name != "小餐饮登记" || got.PromisedLimitDays != 5 || len(got.Materials) != 2 || got.Rule.Version != 1 {
			t.Fatalf("version 1 after edit: %+v, %v", got, err)
		}
		if pub, _ := w.m.Published(ctx, d.Code); pub.Version != 1 || pub.Name != "小餐饮登记" {
			t.Errorf("public see %q v%d before republishing", pub.Name, pub.Version)
		}
		d2 := d
		d2.Code = "990102-XK-901"
		if _, err := w.m.Update(ctx, a, it.ID, d2, 0); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("code change after publishing: %v", err)
		}
		v2, err := w.m.Publish(ctx, a, it.ID, 0)
		if err != nil || v2.Version != 2 {
			t.Fatalf("publish v2: %+v, %v", v2, err)
		}
		if got, _ := w.m.Version(ctx, d.Code, 1); got.Name != "小餐饮登记" {
			t.Errorf("version 1 changed by publishing version 2: %q", got.Name)
		}
		changes := catalog.Diff(got, v2)
		want := map[string]bool{"name": false, "promised_limit_days": false, "materials[健康证明]": false, "rule": false}
		for _, c := range changes {
			if _, ok := want[c.Field]; ok {
				want[c.Field] = true
			}
		}
		for f, ok := range want {
			if !ok {
				t.Errorf("diff misses %s: %+v", f, changes)
			}
		}
		vs, _ := w.m.Versions(ctx, a, it.ID)
		if len(vs) != 2 || vs[0].Version != 2 {
			t.Errorf("versions: %+v", vs)
		}
		recs, _, err := audit.List(ctx, db, audit.Filter{Action: "catalog.publish"})
		if err != nil || len(recs) != 2 {
			t.Errorf("audit catalog.publish: %d, %v", len(recs), err)
		}
	})
}

func TestWithdrawHidesFromPublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		a := w.actors["admin"]
		it, err := w.m.Create(ctx, a, w.food())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.m.Withdraw(ctx, a, it.ID, "停止实施"); !errors.Is(err, catalog.ErrState) {
			t.Errorf("withdrawing a draft: %v, want ErrState", err)
		}
		if _, err := w.m.Publish(ctx, a, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		if items, n, _ := w.m.List(ctx, catalog.Query{}); n != 1 || items[0].Code != it.Code {
			t.Fatalf("public list after publish: %d", n)
		}
		if err := w.m.Withdraw(ctx, a, it.ID, "  "); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("withdraw without reason: %v", err)
		}
		if err := w.m.Withdraw(ctx, a, it.ID, "法律依据已废止"); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := w.m.List(ctx, catalog.Query{}); n != 0 {
			t.Errorf("withdrawn item still listed: %d", n)
		}
		if _, err := w.m.Published(ctx, it.Code); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("withdrawn item still published: %v", err)
		}
		if v, err := w.m.Version(ctx, it.Code, 1); err != nil || v.Version != 1 {
			t.Errorf("version 1 of a withdrawn item: %v", err)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "catalog.withdraw"})
		if len(recs) != 1 || !strings.Contains(string(recs[0].Detail), "法律依据已废止") {
			t.Errorf("audit catalog.withdraw: %+v", recs)
		}
	})
}

func TestSeedAndSearch(t *testing.T) {
	t.Run("substring", func(t *testing.T) { testSeedAndSearch(t, nil) })
	t.Run("index", func(t *testing.T) { testSeedAndSearch(t, &search.Index{}) })
}

func testSeedAndSearch(t *testing.T, index *search.Index) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, index)
		ctx := context.Background()
		if err := catalog.SeedDemo(ctx, w.m, w.depts); err != nil {
			t.Fatal(err)
		}
		all, total, err := w.m.List(ctx, catalog.Query{Limit: 200})
		if err != nil || total < 20 {
			t.Fatalf("seeded %d items, %v", total, err)
		}
		rules := 0
		for _, it := range all {
			if it.Rule != nil {
				rules++
			}
		}
		if rules != 2 {
			t.Errorf("%d items with approval rules, want 2", rules)
		}
		// The demo rules compile against the demo items' fields, and their
		// examples held when they were published.
		for _, code := range []string{"990102-XK-001", "990102-XK-303"} {
			it, err := w.m.Published(ctx, code)
			if err != nil || it.Rule == nil || len(it.Rule.Examples) < 3 {
				t.Fatalf("%s: %+v, %v", code, it, err)
			}
			if _, err := w.m.CompileRule(it); err != nil {
				t.Errorf("%s: %v", code, err)
			}
		}
		items, _, err := w.m.List(ctx, catalog.Query{Q: "执照", Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, it := range items {
			names[it.Name] = true
		}
		for _, want := range []string{"营业执照遗失补领", "食品经营许可", "个体工商户注销登记"} {
			if !names[want] {
				t.Errorf("search 执照 misses %s (found %v)", want, names)
			}
		}
		if names["医师执业注册"] {
			t.Error("search 执照 finds 医师执业注册")
		}
		yes := true
		instant, _, _ := w.m.List(ctx, catalog.Query{Instant: &yes, DepartmentID: w.depts["LJ-SCJG"]})
		for _, it := range instant {
			if it.PromisedLimitDays != 0 || it.DepartmentID != w.depts["LJ-SCJG"] {
				t.Errorf("instant filter let through %s", it.Name)
			}
		}
		if len(instant) != 3 {
			t.Errorf("%d instant market items, want 3", len(instant))
		}
		if _, n, _ := w.m.List(ctx, catalog.Query{RegionCode: "990102"}); n != 9 {
			t.Errorf("items of 临江区: %d, want 9", n)
		}
		food, err := w.m.Published(ctx, "990102-XK-002")
		if err != nil || !food.Commitment || len(food.CommitmentReplaceable()) != 2 || food.Field("items").Type != catalog.FieldChoices {
			t.Errorf("食品经营许可: %+v, %v", food, err)
		}
		if m := food.Material("营业执照"); m == nil || m.Class != catalog.ClassShared || m.CertificateType != catalog.CertBusinessLicence {
			t.Errorf("营业执照 material: %+v", m)
		}
	})
}

func TestDepartmentScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		it, err := w.m.Create(ctx, w.actors["appr_scj"], w.food())
		if err != nil {
			t.Fatal(err)
		}
		other := w.actors["appr_cgj"]
		d := w.food()
		d.Name = "改名"
		if _, err := w.m.Update(ctx, other, it.ID, d, 0); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("other department's approver edits: %v, want not found", err)
		}
		if _, err := w.m.Publish(ctx, other, it.ID, 0); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("other department's approver publishes: %v", err)
		}
		if _, err := w.m.Create(ctx, other, w.food()); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("create for another department: %v, want forbidden", err)
		}
		// Moving one's own item to another department is refused too.
		d = w.food()
		d.DepartmentID = w.depts["LJ-CGJ"]
		if _, err := w.m.Update(ctx, w.actors["appr_scj"], it.ID, d, 0); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("move to another department: %v, want forbidden", err)
		}
		if got, _ := w.m.Working(ctx, w.actors["admin"], it.ID); got.Name != "小餐饮登记" || got.DepartmentID != w.depts["LJ-SCJG"] {
			t.Errorf("item changed: %+v", got)
		}
		list, n, _ := w.m.StaffList(ctx, other, catalog.Query{})
		if n != 0 || len(list) != 0 {
			t.Errorf("other approver's staff list: %d", n)
		}
		// Through the pages: the other approver gets 404, nothing changes.
		c := w.client(t, "appr_cgj")
		form := url.Values{"code": {d.Code}, "name": {"改名"}, "department_id": {strconv.FormatInt(w.depts["LJ-SCJG"], 10)},
			"type": {"licensing"}, "legal_limit_days": {"20"}, "promised_limit_days": {"5"}, "rule_expr": {""}}
		if resp := w.post(t, c, "/catalog/manage/"+strconv.FormatInt(it.ID, 10), form); resp.StatusCode != http.StatusNotFound {
			t.Errorf("page edit by other department: %d, want 404", resp.StatusCode)
		}
		own := w.client(t, "appr_scj")
		form.Set("promised_limit_days", "30")
		if resp := w.post(t, own, "/catalog/manage/"+strconv.FormatInt(it.ID, 10), form); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("page edit with promised > legal: %d, want 422", resp.StatusCode)
		}
		form.Set("promised_limit_days", "2")
		if resp := w.post(t, own, "/catalog/manage/"+strconv.FormatInt(it.ID, 10), form); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("page edit by own approver: %d", resp.StatusCode)
		}
		if got, _ := w.m.Working(ctx, w.actors["admin"], it.ID); got.Name != "改名" || len(got.Materials) != 2 {
			t.Errorf("after page edit: %q with %d materials", got.Name, len(got.Materials))
		}
	})
}

func TestPublicPagesAndAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		if err := catalog.SeedDemo(ctx, w.m, w.depts); err != nil {
			t.Fatal(err)
		}
		d := w.food()
		if _, err := w.m.Create(ctx, w.actors["admin"], d); err != nil {
			t.Fatal(err)
		}
		anon := &http.Client{}
		code, body := w.get(t, anon, "/catalog?q="+url.QueryEscape("执照"))
		if code != 200 || !strings.Contains(body, "营业执照遗失补领") {
			t.Errorf("catalogue page: %d", code)
		}
		code, body = w.get(t, anon, "/catalog/items/990102-XK-002")
		for _, want := range []string{"食品经营许可", "《中华人民共和国食品安全法》第三十五条", "共享", "容缺", "告知承诺", "承诺时限 3 个工作日"} {
			if code != 200 || !strings.Contains(body, want) {
				t.Errorf("guide page: %d, missing %q", code, want)
			}
		}
		code, body = w.get(t, anon, "/catalog/items/990102-XK-001/notice")
		for _, want := range []string{"一次性告知单", "990102-XK-001", "经营场所使用证明", "申请人（签名）", "2026-09-30", "即办件"} {
			if code != 200 || !strings.Contains(body, want) {
				t.Errorf("notice page: %d, missing %q", code, want)
			}
		}
		if code, _ := w.get(t, anon, "/catalog/items/"+d.Code); code != http.StatusNotFound {
			t.Errorf("draft guide for the public: %d, want 404", code)
		}
		// The API shows anonymous callers published items only.
		code, body = w.get(t, anon, "/api/v1/catalog/items?limit=200")
		var out struct {
			Items []catalog.Item `json:"items"`
			Total int            `json:"total"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &out) != nil || out.Total != 20 {
			t.Fatalf("API list: %d %.300s", code, body)
		}
		for _, it := range out.Items {
			if it.Status != catalog.StatusPublished || it.Code == d.Code {
				t.Errorf("API lists %s (%s)", it.Code, it.Status)
			}
		}
		if code, _ := w.get(t, anon, "/api/v1/catalog/items/"+d.Code); code != http.StatusNotFound {
			t.Errorf("API draft for anonymous: %d, want 404", code)
		}
		if code, _ := w.get(t, anon, "/api/v1/catalog/drafts/"+d.Code); code != http.StatusUnauthorized {
			t.Errorf("API working copy for anonymous: %d, want 401", code)
		}
		code, body = w.get(t, anon, "/api/v1/catalog/items/990102-XK-001?version=1")
		if code != 200 || !strings.Contains(body, `form.capital \u003c= 1000000`) && !strings.Contains(body, "form.capital <= 1000000") {
			t.Errorf("API item: %d %.200s", code, body)
		}
		// Staff pages render for an administrator.
		adm := w.client(t, "admin")
		for _, p := range []string{"/catalog/manage", "/catalog/manage/new", "/catalog/manage/1", "/catalog/manage/1/versions?a=1&b=draft"} {
			if code, body := w.get(t, adm, p); code != 200 {
				t.Errorf("GET %s: %d %.300s", p, code, body)
			}
		}
		// The API refuses a bad draft with 422 and field details.
		bad := w.food()
		bad.Code = "990102-XK-950"
		bad.PromisedLimitDays = 40
		b, _ := json.Marshal(bad)
		req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/catalog/items", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", w.srv.URL)
		resp, err := adm.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 422 || !strings.Contains(string(rb), "promised_limit_days") {
			t.Errorf("API create bad draft: %d %s", resp.StatusCode, rb)
		}
	})
}

// client signs in as username and returns a client carrying the cookie.
func (w *world) client(t *testing.T, username string) *http.Client {
	t.Helper()
	c := &http.Client{Jar: &cookieJar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := w.post(t, c, "/signin", url.Values{"username": {username}, "password": {"Qiu-shui-2468"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", username, resp.StatusCode)
	}
	return c
}

func (w *world) post(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (w *world) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(w.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

// The public pages are cached for anonymous visitors (a repeat answers 304
// to its ETag), and publishing a new version or withdrawing the item shows
// at once: the cached pages are dropped.
func TestPublicPagesFollowPublishing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		a := w.actors["admin"]
		d := w.food()
		it, err := w.m.Create(ctx, a, d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.m.Publish(ctx, a, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		anon := http.DefaultClient
		guide := "/catalog/items/" + it.Code
		for _, p := range []string{"/catalog", guide} {
			if code, body := w.get(t, anon, p); code != 200 || !strings.Contains(body, "小餐饮登记") {
				t.Fatalf("%s: %d, name shown: %v", p, code, strings.Contains(body, "小餐饮登记"))
			}
		}
		req, _ := http.NewRequest("GET", w.srv.URL+guide, nil)
		resp, err := anon.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		req.Header.Set("If-None-Match", etag)
		if resp, err = anon.Do(req); err != nil || resp.StatusCode != http.StatusNotModified {
			t.Fatalf("conditional GET of the guide: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()

		cur, _ := w.m.Working(ctx, a, it.ID)
		d.Name = "小餐饮经营登记"
		if _, err := w.m.Update(ctx, a, it.ID, d, cur.RowVersion); err != nil {
			t.Fatal(err)
		}
		if _, body := w.get(t, anon, guide); !strings.Contains(body, "小餐饮登记") {
			t.Error("an unpublished edit changed the public guide")
		}
		if _, err := w.m.Publish(ctx, a, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		if resp, err = anon.Do(req); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("guide with the old ETag after publishing: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
		for _, p := range []string{"/catalog", guide} {
			if _, body := w.get(t, anon, p); !strings.Contains(body, "小餐饮经营登记") {
				t.Errorf("%s does not show the published name", p)
			}
		}
		if err := w.m.Withdraw(ctx, a, it.ID, "停止实施"); err != nil {
			t.Fatal(err)
		}
		if code, _ := w.get(t, anon, guide); code != http.StatusNotFound {
			t.Errorf("withdrawn guide: %d, want 404", code)
		}
		if _, body := w.get(t, anon, "/catalog"); strings.Contains(body, "小餐饮经营登记") {
			t.Error("withdrawn item still in the cached list")
		}
	})
}
