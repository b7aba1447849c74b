package credit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// pworld is the credit module with the register, a signing key, a small
// public limit and a clock the test moves.
type pworld struct {
	*world
	now  time.Time
	ents *entity.Service
}

// legalRepID is a valid identity number used as a legal representative's.
var legalRepID = "11010519491231002" + string(ids.CitizenIDCheck("11010519491231002"))

func setupPublic(t testing.TB, db *store.DB, limit int) *pworld {
	t.Helper()
	ctx := context.Background()
	p := &pworld{now: time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return p.now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
	w := &world{db: db, depts: map[string]int64{}}
	p.world = w
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, d := range []struct{ code, name, region string }{{"LJ-SCJG", "临江区市场监督管理局", "990102"},
			{"YL-SW", "国家税务总局云澜市税务局", "990100"}, {"LJ-CGJ", "临江区城市管理局", "990102"}} {
			dep, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: d.code, Name: d.name, RegionCode: d.region})
			if err != nil {
				return err
			}
			w.depts[d.code] = dep.ID
		}
		for _, u := range []org.NewUser{
			{Username: "scjg", DisplayName: "市场监管 孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-SCJG"]}},
			{Username: "shuiwu", DisplayName: "税务 王芳", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{w.depts["YL-SW"]}},
			{Username: "cgj", DisplayName: "城管 周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.depts["LJ-CGJ"]}},
			{Username: "ent_a", DisplayName: "甲公司", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizA},
			{Username: "ent_b", DisplayName: "乙公司", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: bizB},
		} {
			u.Password = "Qiu-shui-2468"
			if _, err := orgs.CreateUser(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	policy := auth.NewPolicy()
	if p.ents, err = entity.New(entity.Deps{DB: db, Box: box, Policy: policy, Now: clock}); err != nil {
		t.Fatal(err)
	}
	for _, in := range []entity.Input{
		{USCC: bizA, Name: "云澜甲餐饮有限公司", Type: "有限责任公司", LegalRep: "李娜", LegalRepID: legalRepID, Address: "临江区滨江路1号",
			RegionCode: "990102", Industry: "H6210", CapitalYuan: 100000, EstablishedOn: "2018-05-20", Status: "存续"},
		{USCC: bizB, Name: "云澜乙商贸有限公司", Type: "有限责任公司", LegalRep: "赵远", Address: "临江区滨江路2号",
			RegionCode: "990102", Industry: "F5191", CapitalYuan: 100000, EstablishedOn: "2019-05-20", Status: "存续"},
		{USCC: uscc("91990102MA01CR03X"), Name: "云澜丙餐饮有限公司", Type: "有限责任公司", LegalRep: "钱丙", Address: "临江区滨江路3号",
			RegionCode: "990102", Industry: "H6210", CapitalYuan: 100000, EstablishedOn: "2019-05-20", Status: "存续"},
	} {
		if _, _, err := p.ents.Put(ctx, auth.System(), in); err != nil {
			t.Fatal(err)
		}
	}
	signer := certificate.NewEd25519Signer(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	w.m, err = credit.New(credit.Deps{DB: db, Org: orgs, Policy: policy, Audit: audit.New(clock), Now: clock,
		Register: p.ents, Signer: signer, PublicLimit: limit, PublicWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	sys := auth.System()
	if err := w.m.Grant(ctx, sys, w.depts["LJ-SCJG"], "penalty", "license", "inspection", credit.ListAbnormal); err != nil {
		t.Fatal(err)
	}
	if err := w.m.Grant(ctx, sys, w.depts["LJ-CGJ"], "penalty"); err != nil {
		t.Fatal(err)
	}
	if err := w.m.Grant(ctx, sys, w.depts["YL-SW"], "tax_arrears"); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Sessions: sessions, DB: db, Modules: []web.Module{w.m}, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	return p
}

// actor returns the actor of a test user.
func (p *pworld) actor(t testing.TB, username string) *auth.Actor {
	t.Helper()
	var id int64
	if err := p.db.QueryRow("SELECT id FROM users WHERE username = ?", username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	u, err := org.NewService(p.db, box, time.Now).GetUser(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode, DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}
}

func (p *pworld) get(t *testing.T, c *http.Client, path string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(p.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (p *pworld) add(t *testing.T, user string, in credit.RecordInput) *credit.Record {
	t.Helper()
	rec, err := p.m.AddRecord(context.Background(), p.actor(t, user), in)
	if err != nil {
		t.Fatalf("add %s: %v", in.DecisionNo, err)
	}
	return rec
}

func pen(sector string, fine int64, kinds ...string) *credit.Penalty {
	return &credit.Penalty{Procedure: "ordinary", Subject: "organisation", Sector: sector, Kinds: kinds, FineYuan: fine}
}

// TestPublicFileAsOf: 信用公示 shows only what is public on the day: a low
// fine published on 2026-01-31 is shown for 3 months (总局令第45号), up to
// 2026-04-30 and not on 2026-05-01; a complaint never; a person's number in
// the content is masked; the page today leaves the ended record out.
func TestPublicFileAsOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		ctx := context.Background()
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕3号",
			DecisionDate: "2026-01-20", PublishedOn: "2026-01-31", Content: "罚款10万元", Penalty: pen("other", 100000, "罚款")})
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕9号",
			DecisionDate: "2026-03-02", PublishedOn: "2026-03-05", Content: "当事人身份证号 " + legalRepID + "，罚款20万元",
			Penalty: pen("other", 200000, "罚款")})
		if _, err := p.m.AddRecord(ctx, auth.System(), credit.RecordInput{USCC: bizA, Kind: credit.KindComplaint,
			DecisionDate: "2026-02-01", Content: "投诉内容"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			day  string
			want []string
		}{{"2026-04-30", []string{"临市监罚〔2026〕3号", "临市监罚〔2026〕9号"}}, {"2026-05-01", []string{"临市监罚〔2026〕9号"}}} {
			f, err := p.m.PublicFileOf(ctx, bizA, mustParse(c.day))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range f.Records {
				got = append(got, r.DecisionNo)
				if r.Kind == credit.KindComplaint {
					t.Errorf("%s: a complaint is public", c.day)
				}
			}
			if strings.Join(got, ",") != strings.Join(reverse(c.want), ",") && strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("as of %s: public %v, want %v", c.day, got, c.want)
			}
		}
		code, body, _ := p.get(t, p.client(t, ""), "/credit/public/"+bizA)
		if code != http.StatusOK || strings.Contains(body, "临市监罚〔2026〕3号") || !strings.Contains(body, "临市监罚〔2026〕9号") {
			t.Errorf("public page today: %d, ended record shown or current one missing", code)
		}
		if strings.Contains(body, legalRepID) || strings.Contains(body, "投诉内容") {
			t.Errorf("public page shows a person's number or a complaint")
		}
		// The page shows a past day too: 3号 was public on 2026-04-30.
		if code, body, _ := p.get(t, p.client(t, ""), "/credit/public/"+bizA+"?as_of=2026-04-30"); code != http.StatusOK ||
			!strings.Contains(body, "临市监罚〔2026〕3号") || !strings.Contains(body, "2026-04-30") {
			t.Errorf("public page as of 2026-04-30: %d, 3号 shown: %v", code, strings.Contains(body, "临市监罚〔2026〕3号"))
		}
		if code, _, _ := p.get(t, p.client(t, ""), "/credit/public/"+bizA+"?as_of=2099-01-01"); code != http.StatusBadRequest {
			t.Errorf("a future day: %d, want 400", code)
		}
		// The API answers the same as of a date; an unknown business is 404.
		var f credit.PublicFile
		if code, b := p.call(t, p.client(t, ""), "GET", "/api/v1/credit/public/"+bizA+"?as_of=2026-04-30", nil, &f); code != 200 || len(f.Records) != 2 {
			t.Errorf("public API as of 2026-04-30: %d %s", code, b)
		}
		if code, _ := p.call(t, p.client(t, ""), "GET", "/api/v1/credit/public/"+uscc("91990102MA01CR09X"), nil, nil); code != http.StatusNotFound {
			t.Errorf("unknown business: %d, want 404", code)
		}
	})
}

func mustParse(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func reverse(xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

// TestPublicRateLimit: past the configured limit a client address gets 429
// with Retry-After, on the pages and the API; others are not affected by
// it (the limit is per address, and the test has one).
func TestPublicRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 3)
		c := p.client(t, "")
		for i := 0; i < 3; i++ {
			if code, _, _ := p.get(t, c, "/credit/public?q=云澜"); code != http.StatusOK {
				t.Fatalf("query %d: %d", i+1, code)
			}
		}
		code, body, h := p.get(t, c, "/credit/public/"+bizA)
		if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "查询过于频繁") {
			t.Errorf("4th query: %d Retry-After %q", code, h.Get("Retry-After"))
		}
		code, _ = p.call(t, c, "GET", "/api/v1/credit/public/"+bizA, nil, nil)
		if code != http.StatusTooManyRequests {
			t.Errorf("API past the limit: %d, want 429", code)
		}
		// A minute later the address may ask again.
		p.now = p.now.Add(61 * time.Second)
		if code, _, _ := p.get(t, c, "/credit/public/"+bizA); code != http.StatusOK {
			t.Errorf("after the window: %d", code)
		}
	})
}

// TestReportSignature: a business issues its 专用信用报告; anyone verifies
// it by the token and the signature holds; a report changed in the
// database fails; another business can neither issue nor fetch it, nor
// read the first business's check log (404).
func TestReportSignature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2025〕12号",
			DecisionDate: "2025-06-10", PublishedOn: "2025-06-16", Penalty: pen("food", 200000, "罚款")})
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2023〕1号",
			DecisionDate: "2023-11-30", PublishedOn: "2023-12-01", Penalty: pen("other", 200000, "罚款")})
		a := p.client(t, "ent_a")
		var rep credit.Report
		code, body := p.call(t, a, "POST", "/api/v1/credit/reports", map[string]any{"uscc": bizA}, &rep)
		if code != http.StatusCreated {
			t.Fatalf("issue: %d %s", code, body)
		}
		// The last 3 years ending 2026-12-03 start on 2023-12-04: the 2023 penalty is outside.
		if rep.Content.From != "2023-12-04" || rep.Content.To != "2026-12-03" || !rep.Genuine || rep.Content.Name != "云澜甲餐饮有限公司" {
			t.Fatalf("report: %+v", rep.Content)
		}
		counts := map[string]int{}
		for _, f := range rep.Content.Fields {
			counts[f.Key] = f.Count
		}
		if counts["kind:penalty"] != 1 || counts["list:abnormal"] != 0 || counts["department:"+itoa(p.depts["LJ-SCJG"])] != 1 ||
			counts["department:"+itoa(p.depts["LJ-CGJ"])] != 0 {
			t.Errorf("fields: %v", counts)
		}
		if _, ok := counts["kind:complaint"]; ok {
			t.Error("a kind never public is a field of the report")
		}
		anon := p.client(t, "")
		var v credit.Report
		if code, body := p.call(t, anon, "GET", "/api/v1/credit/reports/verify/"+rep.Token, nil, &v); code != 200 || !v.Genuine || v.Content.Number != rep.Content.Number {
			t.Fatalf("verify: %d %s", code, body)
		}
		if code, body, _ := p.get(t, anon, "/credit/verify/"+rep.Token); code != 200 || !strings.Contains(body, "签名有效") || !strings.Contains(body, rep.Content.Number) {
			t.Errorf("verify page: %d", code)
		}
		if code, body, _ := p.get(t, a, "/credit/reports/"+itoa(rep.ID)); code != 200 || !strings.Contains(body, "<svg") {
			t.Errorf("printable report: %d, QR missing", code)
		}
		// Someone edits the stored content: the signature no longer holds.
		if _, err := db.Exec("UPDATE credit_reports SET content = REPLACE(content, '\"count\":1', '\"count\":0') WHERE id = ?", rep.ID); err != nil {
			t.Fatal(err)
		}
		if code, body := p.call(t, anon, "GET", "/api/v1/credit/reports/verify/"+rep.Token, nil, &v); code != 200 || v.Genuine {
			t.Errorf("changed report verifies: %d %s", code, body)
		}
		if code, body, _ := p.get(t, anon, "/credit/verify/"+rep.Token); code != http.StatusConflict || !strings.Contains(body, "签名无效") {
			t.Errorf("changed report page: %d", code)
		}
		if code, _ := p.call(t, anon, "GET", "/api/v1/credit/reports/verify/"+rep.Token[:len(rep.Token)-2]+"AA", nil, nil); code != http.StatusNotFound {
			t.Errorf("forged token: %d, want 404", code)
		}
		b := p.client(t, "ent_b")
		for _, path := range []string{"/api/v1/credit/reports/" + itoa(rep.ID), "/api/v1/credit/checks/" + bizA} {
			if code, _ := p.call(t, b, "GET", path, nil, nil); code != http.StatusNotFound {
				t.Errorf("another business GET %s: %d, want 404", path, code)
			}
		}
		if code, _, _ := p.get(t, b, "/credit/reports/"+itoa(rep.ID)); code != http.StatusNotFound {
			t.Errorf("another business's report page: %d, want 404", code)
		}
		if code, _ := p.call(t, b, "POST", "/api/v1/credit/reports", map[string]any{"uscc": bizA}, nil); code != http.StatusNotFound {
			t.Errorf("another business issues a report: %d, want 404", code)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestChecksAndSelfCheck: a business sees the departments that checked it
// (not the staff member's name) and checks itself; the self-check is
// logged without a department.
func TestChecksAndSelfCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		if _, err := p.m.Check(context.Background(), p.actor(t, "scjg"), bizA, "licensing"); err != nil {
			t.Fatal(err)
		}
		a := p.client(t, "ent_a")
		req, _ := http.NewRequest("POST", p.srv.URL+"/credit/my/self-check", nil)
		req.Header.Set("Origin", p.srv.URL)
		resp, err := a.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/credit/my/checks?outcome=allow") {
			t.Fatalf("self-check: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		var dept int64
		if err := db.QueryRow("SELECT department_id FROM credit_checks WHERE purpose = 'self'").Scan(&dept); err != nil || dept != 0 {
			t.Errorf("self-check logged with department %d (%v)", dept, err)
		}
		code, body, _ := p.get(t, a, "/credit/my/checks")
		if code != 200 || !strings.Contains(body, "临江区市场监督管理局") || strings.Contains(body, "孙丽") || !strings.Contains(body, "本企业自查") {
			t.Errorf("check log: %d; department shown, staff name hidden, self-check marked?", code)
		}
		// Staff see the staff file with the legal representative's number masked.
		code, body, _ = p.get(t, p.client(t, "shuiwu"), "/credit/entities/"+bizA)
		if code != 200 || strings.Contains(body, legalRepID) || !strings.Contains(body, "李娜") || !strings.Contains(body, "孙丽") {
			t.Errorf("staff file: %d; number masked, checker named?", code)
		}
		if code, _, _ := p.get(t, a, "/credit/entities/"+bizA); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("a business opens the staff file: %d", code)
		}
	})
}

// TestStaffSearchKeyset: staff search by name pages by keyset, and a whole
// code goes to the file.
func TestStaffSearchKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		ctx := context.Background()
		a := p.actor(t, "scjg")
		first, n, err := p.ents.Search(ctx, a, "云澜", "", 2)
		if err != nil || n != 3 || len(first) != 2 {
			t.Fatalf("first page: %d of %d, %v", len(first), n, err)
		}
		rest, _, err := p.ents.Search(ctx, a, "云澜", first[1].USCC, 2)
		if err != nil || len(rest) != 1 || rest[0].USCC == first[0].USCC || rest[0].USCC == first[1].USCC {
			t.Fatalf("second page: %+v %v", rest, err)
		}
		if _, _, err := p.ents.Search(ctx, p.actor(t, "ent_a"), "云澜", "", 2); err == nil {
			t.Error("a business searches the register")
		}
		req, _ := http.NewRequest("GET", p.srv.URL+"/credit/entities?q="+bizA, nil)
		resp, err := p.client(t, "scjg").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/credit/entities/"+bizA {
			t.Errorf("search by code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}

// repairBody is a repair application with one PDF of proof.
func repairBody(record int64) map[string]any {
	return map[string]any{"record_id": record, "correction": "已改正并缴清罚款", "commitment": "承诺依法经营",
		"files": []map[string]any{{"name": "proof.pdf", "data": []byte("%PDF-1.4\n%%EOF\n")}}}
}

// TestRepair: repair is refused before repairable_from (a food penalty
// published 2026-06-16 waits a year, to 2027-06-17) and by another
// department; the record's department grants it, which ends publication
// on the decision date (shown 2026-12-03, not 2026-12-04) and tells other
// platforms; the department decides within 15 working days (2026-12-24).
func TestRepair(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		ctx := context.Background()
		food := p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕20号",
			DecisionDate: "2026-06-10", PublishedOn: "2026-06-16", Penalty: pen("food", 200000, "罚款")})
		if food.RepairableFrom == nil || *food.RepairableFrom != "2027-06-17" {
			t.Fatalf("food repairable from %v", food.RepairableFrom)
		}
		other := p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕5号",
			DecisionDate: "2026-05-15", PublishedOn: "2026-05-20", Penalty: pen("other", 200000, "罚款")})
		if *other.RepairableFrom != "2026-11-21" {
			t.Fatalf("other repairable from %v", *other.RepairableFrom)
		}
		a := p.client(t, "ent_a")
		code, body := p.call(t, a, "POST", "/api/v1/credit/repairs", repairBody(food.ID), nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "record_id") || !strings.Contains(body, "2027-06-17") {
			t.Errorf("repair before repairable_from: %d %s", code, body)
		}
		if n := p.count(t, "credit_repairs"); n != 0 {
			t.Errorf("a refused application stored %d rows", n)
		}
		if code, _ := p.call(t, p.client(t, "ent_b"), "POST", "/api/v1/credit/repairs", repairBody(other.ID), nil); code != http.StatusNotFound {
			t.Errorf("another business applies: %d, want 404", code)
		}
		bad := repairBody(other.ID)
		bad["files"] = []map[string]any{{"name": "x.txt", "data": []byte("plain text")}}
		if code, body := p.call(t, a, "POST", "/api/v1/credit/repairs", bad, nil); code != 422 || !strings.Contains(body, "files[0]") {
			t.Errorf("text file as proof: %d %s", code, body)
		}
		var rp credit.Repair
		req, _ := json.Marshal(repairBody(other.ID))
		code, body = p.call(t, a, "POST", "/api/v1/credit/repairs", string(req), &rp)
		if code != http.StatusCreated || rp.DueOn != "2026-12-24" || rp.Status != credit.RepairPending || len(rp.Files) != 1 {
			t.Fatalf("apply: %d %s", code, body)
		}
		if code, _ := p.call(t, a, "POST", "/api/v1/credit/repairs", repairBody(other.ID), nil); code != 422 {
			t.Errorf("second pending application: %d, want 422", code)
		}
		decision := map[string]any{"grant": true, "reason": "已履行处罚并整改到位"}
		for _, u := range []string{"cgj", "shuiwu"} {
			if code, _ := p.call(t, p.client(t, u), "POST", "/api/v1/credit/repairs/"+itoa(rp.ID)+"/decision", decision, nil); code != http.StatusNotFound {
				t.Errorf("%s (another department) decides: %d, want 404", u, code)
			}
		}
		if code, _ := p.call(t, p.client(t, "scjg"), "POST", "/api/v1/credit/repairs/"+itoa(rp.ID)+"/decision",
			map[string]any{"grant": true, "reason": ""}, nil); code != 422 {
			t.Errorf("decision without reasons: %d", code)
		}
		code, body = p.call(t, p.client(t, "scjg"), "POST", "/api/v1/credit/repairs/"+itoa(rp.ID)+"/decision", decision, &rp)
		if code != 200 || rp.Status != credit.RepairGranted || rp.DecidedOn == nil || *rp.DecidedOn != "2026-12-03" {
			t.Fatalf("grant: %d %s", code, body)
		}
		for day, want := range map[string]bool{"2026-12-03": true, "2026-12-04": false} {
			rec, err := p.m.GetRecord(ctx, auth.System(), other.ID, mustParse(day))
			if err != nil {
				t.Fatal(err)
			}
			if rec.Public != want || rec.PublicUntil == nil || *rec.PublicUntil != "2026-12-03" || rec.RepairableFrom != nil {
				t.Errorf("as of %s: public %v until %v, want %v until 2026-12-03", day, rec.Public, rec.PublicUntil, want)
			}
		}
		var events int
		db.QueryRow("SELECT COUNT(*) FROM outbox WHERE topic = ?", credit.TopicRepaired).Scan(&events)
		if events != 1 {
			t.Errorf("%d credit.repaired events, want 1", events)
		}
		var audits int
		db.QueryRow("SELECT COUNT(*) FROM audit_log WHERE action IN ('credit.repair.apply', 'credit.repair.granted')").Scan(&audits)
		if audits != 2 {
			t.Errorf("%d audit entries, want 2", audits)
		}
		if code, _ := p.call(t, p.client(t, "scjg"), "POST", "/api/v1/credit/repairs/"+itoa(rp.ID)+"/decision", decision, nil); code != http.StatusConflict {
			t.Errorf("second decision: %d, want 409", code)
		}
		// The proof is downloadable by the business and staff, not another business.
		if code, _, _ := p.get(t, a, "/credit/repairs/"+itoa(rp.ID)+"/files/0"); code != 200 {
			t.Errorf("proof download: %d", code)
		}
		if code, _, _ := p.get(t, p.client(t, "ent_b"), "/credit/repairs/"+itoa(rp.ID)); code != http.StatusNotFound {
			t.Errorf("another business's application: %d, want 404", code)
		}
	})
}

// TestRepairPage: the business applies with the phone form (multipart) and
// is sent to its application.
func TestRepairPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		other := p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕5号",
			DecisionDate: "2026-05-15", PublishedOn: "2026-05-20", Penalty: pen("other", 200000, "罚款")})
		a := p.client(t, "ent_a")
		if code, body, _ := p.get(t, a, "/credit/my"); code != 200 || !strings.Contains(body, "/credit/my/records/"+itoa(other.ID)+"/repair") {
			t.Fatalf("my credit page: %d, no repair link", code)
		}
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("correction", "已改正")
		mw.WriteField("commitment", "承诺")
		fw, _ := mw.CreateFormFile("files", "proof.pdf")
		fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
		mw.Close()
		req, _ := http.NewRequest("POST", p.srv.URL+"/credit/my/records/"+itoa(other.ID)+"/repair", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", p.srv.URL)
		resp, err := a.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/credit/repairs/") {
			t.Fatalf("submit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if code, body, _ := p.get(t, p.client(t, "scjg"), "/credit/repairs"); code != 200 || !strings.Contains(body, "云澜甲餐饮有限公司") {
			t.Errorf("department queue: %d", code)
		}
	})
}

// TestRepairReminder: the sweep reminds once per record when it becomes
// repairable: the other-sector penalty now, the food one a year after
// publication, never twice.
func TestRepairReminder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 100)
		ctx := context.Background()
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕20号",
			DecisionDate: "2026-06-10", PublishedOn: "2026-06-16", Penalty: pen("food", 200000, "罚款")})
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindPenalty, DecisionNo: "临市监罚〔2026〕5号",
			DecisionDate: "2026-05-15", PublishedOn: "2026-05-20", Penalty: pen("other", 200000, "罚款")})
		p.add(t, "scjg", credit.RecordInput{USCC: bizA, Kind: credit.KindLicense, DecisionNo: "JY1", DecisionDate: "2025-01-10",
			PublishedOn: "2025-01-10"})
		sent := func() int {
			var n int
			db.QueryRow("SELECT COUNT(*) FROM outbox WHERE topic = ?", credit.TopicRepairable).Scan(&n)
			return n
		}
		for i, want := range []int{1, 0} {
			if n, err := p.m.RemindRepairable(ctx); err != nil || n != want {
				t.Fatalf("sweep %d on 2026-12-03: %d, %v; want %d", i+1, n, err, want)
			}
		}
		p.now = time.Date(2027, 6, 16, 2, 0, 0, 0, time.UTC)
		if n, _ := p.m.RemindRepairable(ctx); n != 0 {
			t.Errorf("2027-06-16 (before the food penalty's year): %d reminders", n)
		}
		p.now = time.Date(2027, 6, 17, 2, 0, 0, 0, time.UTC)
		if n, _ := p.m.RemindRepairable(ctx); n != 1 {
			t.Errorf("2027-06-17: %d reminders, want 1", n)
		}
		if n, _ := p.m.RemindRepairable(ctx); n != 0 || sent() != 2 {
			t.Errorf("again: %d, %d events in all; want 0 and 2", n, sent())
		}
	})
}
