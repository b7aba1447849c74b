package credit_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

// uscc builds a valid code from a 17-character body.
func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var (
	bizA = uscc("91990102MA01CR01X")
	bizB = uscc("91990102MA01CR02X")
)

type world struct {
	db    *store.DB
	m     *credit.Module
	srv   *httptest.Server
	depts map[string]int64
}

func setup(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams})
	w := &world{db: db, depts: map[string]int64{}}
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
			{Username: "citizen", DisplayName: "张三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102"},
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
	w.m, err = credit.New(credit.Deps{DB: db, Org: orgs, Policy: auth.NewPolicy(), Audit: audit.New(clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	sys := auth.System()
	if err := w.m.Grant(ctx, sys, w.depts["LJ-SCJG"], "penalty", "license", "inspection", credit.ListAbnormal); err != nil {
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
	return w
}

func (w *world) client(t *testing.T, user string) *http.Client {
	t.Helper()
	c := &http.Client{Jar: &cookieJar{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if user == "" {
		return c
	}
	req, _ := http.NewRequest("POST", w.srv.URL+"/signin",
		strings.NewReader(url.Values{"username": {user}, "password": {"Qiu-shui-2468"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %v %v", user, resp, err)
	}
	resp.Body.Close()
	return c
}

// call sends body as JSON and decodes a 2xx answer into out.
func (w *world) call(t *testing.T, c *http.Client, method, path string, body any, out any) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			r = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, w.srv.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v %s", method, path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

func (w *world) count(t *testing.T, table string) int {
	var n int
	if err := w.db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func penalty(no, decided, published string, fine int64, kinds ...string) map[string]any {
	in := map[string]any{"uscc": bizA, "kind": "penalty", "decision_no": no, "decision_date": decided,
		"legal_basis": "《中华人民共和国食品安全法》第一百二十四条", "content": "经营超过保质期的食品",
		"penalty": map[string]any{"procedure": "ordinary", "subject": "organisation", "sector": "food", "kinds": kinds, "fine_yuan": fine}}
	if published != "" {
		in["published_on"] = published
	}
	return in
}

func TestRecordsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		scj := w.client(t, "scjg")
		var rec credit.Record
		code, body := w.call(t, scj, "POST", "/api/v1/credit/records", penalty("临市监罚〔2025〕12号", "2025-06-10", "2025-06-16", 200000, "罚款"), &rec)
		if code != http.StatusCreated {
			t.Fatalf("add penalty: %d %s", code, body)
		}
		// Food: 3 years shown, repair after one year, published within 7 working days.
		if rec.PublicUntil == nil || *rec.PublicUntil != "2028-06-16" || rec.RepairableFrom == nil ||
			*rec.RepairableFrom != "2026-06-17" || !rec.Public || rec.PublishBy == nil || *rec.PublishBy != "2025-06-19" {
			t.Fatalf("penalty terms: %s", body)
		}
		// A low fine: 3 months; as of a date in and after the term.
		var low credit.Record
		if code, body := w.call(t, scj, "POST", "/api/v1/credit/records", penalty("临市监罚〔2026〕3号", "2026-01-20", "2026-01-31", 100000, "罚款", "警告"), &low); code != 201 ||
			*low.PublicUntil != "2026-04-30" || low.RepairableFrom != nil || low.Public {
			t.Fatalf("low fine: %d %s", code, body)
		}
		var st credit.State
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-04-30", nil, &st)
		if len(st.Records) != 2 || !st.Records[0].Public || !st.Records[1].Public {
			t.Errorf("as of 2026-04-30: %+v", st.Records)
		}
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-05-01", nil, &st)
		if len(st.Records) != 2 || st.Records[0].Public || !st.Records[1].Public {
			t.Errorf("as of 2026-05-01 the low fine is still shown: %+v", st.Records)
		}
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2025-06-15", nil, &st)
		if len(st.Records) != 1 || st.Records[0].Public {
			t.Errorf("before publication: %+v", st.Records)
		}
		// A warning alone and the simple procedure are never shown.
		var warn credit.Record
		w.call(t, scj, "POST", "/api/v1/credit/records", penalty("临市监罚〔2026〕9号", "2026-11-02", "", 0, "警告"), &warn)
		if warn.Public || warn.PublishedOn != nil || warn.PublicUntil != nil {
			t.Errorf("warning alone shown: %+v", warn)
		}
		// Published today when no date is given.
		var today credit.Record
		w.call(t, scj, "POST", "/api/v1/credit/records", penalty("临市监罚〔2026〕10号", "2026-12-01", "", 300000, "罚款", "没收违法所得"), &today)
		if today.PublishedOn == nil || *today.PublishedOn != "2026-12-03" || *today.PublicUntil != "2029-12-03" {
			t.Errorf("published today: %+v", today)
		}

		// Withdrawal: shown to the day before; only the writing department; once.
		id := strconv.FormatInt(rec.ID, 10)
		if code, _ := w.call(t, w.client(t, "shuiwu"), "POST", "/api/v1/credit/records/"+id+"/withdrawal", map[string]string{"withdrawn_on": "2026-11-20"}, nil); code != 404 {
			t.Errorf("another department withdraws: %d", code)
		}
		var wd credit.Record
		if code, body := w.call(t, scj, "POST", "/api/v1/credit/records/"+id+"/withdrawal", map[string]string{"withdrawn_on": "2026-11-20"}, &wd); code != 200 ||
			*wd.PublicUntil != "2026-11-19" || wd.Public || wd.RepairableFrom == nil {
			t.Errorf("withdraw: %d %s", code, body)
		}
		if code, _ := w.call(t, scj, "POST", "/api/v1/credit/records/"+id+"/withdrawal", map[string]string{"withdrawn_on": "2026-11-21"}, nil); code != 409 {
			t.Errorf("withdraw twice: %d", code)
		}
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-11-19", nil, &st)
		if !st.Records[len(st.Records)-1].Public {
			t.Errorf("withdrawn record not shown the day before withdrawal: %+v", st.Records)
		}

		// A department writes only the kinds it was granted.
		if code, _ := w.call(t, w.client(t, "shuiwu"), "POST", "/api/v1/credit/records", penalty("x", "2026-01-02", "", 1, "罚款"), nil); code != 403 {
			t.Errorf("tax bureau records a penalty: %d", code)
		}
		if code, _ := w.call(t, w.client(t, "cgj"), "POST", "/api/v1/credit/records", map[string]any{"uscc": bizA, "kind": "license",
			"decision_date": "2026-01-02"}, nil); code != 403 {
			t.Errorf("ungranted department records: %d", code)
		}
		var tax credit.Record
		if code, body := w.call(t, w.client(t, "shuiwu"), "POST", "/api/v1/credit/records", map[string]any{"uscc": bizA, "kind": "tax_arrears",
			"decision_date": "2026-10-09", "content": "欠缴增值税，联系人13912345678"}, &tax); code != 201 || strings.Contains(tax.Content, "13912345678") ||
			!strings.Contains(tax.Content, "139****5678") {
			t.Errorf("tax arrears: %d %s", code, body)
		}
		for _, role := range []string{"ent_a", "citizen", ""} {
			if code, _ := w.call(t, w.client(t, role), "POST", "/api/v1/credit/records", penalty("y", "2026-01-02", "", 1, "罚款"), nil); code != 403 && code != 401 {
				t.Errorf("%q records: %d", role, code)
			}
		}

		// Bad input: a clear 422 naming the field, nothing stored.
		before := w.count(t, "credit_records")
		bad := []struct {
			field string
			body  any
		}{
			{"uscc", map[string]any{"uscc": "91990102MA01CR01A", "kind": "license", "decision_date": "2026-01-02"}},
			{"decision_date", map[string]any{"uscc": bizA, "kind": "license", "decision_date": "2026-13-02"}},
			{"decision_date", map[string]any{"uscc": bizA, "kind": "license", "decision_date": "2027-01-02"}},
			{"published_on", map[string]any{"uscc": bizA, "kind": "license", "decision_date": "2026-03-02", "published_on": "2026-03-01"}},
			{"penalty", map[string]any{"uscc": bizA, "kind": "penalty", "decision_date": "2026-03-02"}},
			{"penalty.fine_yuan", penalty("z1", "2026-03-02", "", 0, "罚款")},
			{"penalty.kinds", penalty("z2", "2026-03-02", "", 500, "警告")},
			{"content", map[string]any{"uscc": bizA, "kind": "license", "decision_date": "2026-01-02", "content": "a\u202eb"}},
			{"decision_no", map[string]any{"uscc": bizA, "kind": "license", "decision_date": "2026-01-02", "decision_no": "a\x00b"}},
			{"decision_no", penalty("临市监罚〔2026〕3号", "2026-01-20", "", 100, "罚款")},
		}
		for _, c := range bad {
			code, body := w.call(t, scj, "POST", "/api/v1/credit/records", c.body, nil)
			if code != 422 && code != 409 || !strings.Contains(body, c.field) {
				t.Errorf("%s: %d %s", c.field, code, body)
			}
		}
		if code, _ := w.call(t, scj, "POST", "/api/v1/credit/records", `{"uscc":`, nil); code != 400 && code != 422 {
			t.Errorf("broken JSON: %d", code)
		}
		if n := w.count(t, "credit_records"); n != before {
			t.Errorf("refused records stored: %d", n-before)
		}

		// Who reads: staff of any department, the business itself; not
		// another business, a citizen or anyone anonymous.
		if code, _ := w.call(t, w.client(t, "ent_a"), "GET", "/api/v1/credit/entities/"+bizA, nil, &st); code != 200 || len(st.Records) == 0 {
			t.Errorf("business reads its own: %d", code)
		}
		if code, _ := w.call(t, w.client(t, "cgj"), "GET", "/api/v1/credit/entities/"+bizA, nil, nil); code != 200 {
			t.Errorf("another department reads: %d", code)
		}
		for _, who := range []string{"ent_b", "citizen"} {
			if code, _ := w.call(t, w.client(t, who), "GET", "/api/v1/credit/entities/"+bizA, nil, nil); code != 404 {
				t.Errorf("%s reads another business: %d", who, code)
			}
			if code, _ := w.call(t, w.client(t, who), "GET", "/api/v1/credit/records/"+id, nil, nil); code != 404 {
				t.Errorf("%s reads a record of another business: %d", who, code)
			}
		}
		if code, _ := w.call(t, w.client(t, ""), "GET", "/api/v1/credit/entities/"+bizA, nil, nil); code != 401 {
			t.Errorf("anonymous: %d", code)
		}
		if code, _ := w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-02-30", nil, nil); code != 422 {
			t.Errorf("bad as_of: %d", code)
		}
		var audits int
		db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action IN ('credit.record', 'credit.withdraw')`).Scan(&audits)
		if audits != 6 {
			t.Errorf("audit entries: %d, want 6", audits)
		}
	})
}

// The lists: abnormal listings loaded with past dates, the three-year move
// to the serious list, and removal within the term taking it back.
func TestLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		scj := w.client(t, "scjg")
		var ab credit.Abnormal
		if code, body := w.call(t, scj, "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizA, "reason": "annual_report",
			"listed_on": "2023-07-01"}, &ab); code != 201 || !ab.Active {
			t.Fatalf("list: %d %s", code, body)
		}
		if code, _ := w.call(t, scj, "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizA, "reason": "annual_report",
			"listed_on": "2023-08-01"}, nil); code != 422 {
			t.Errorf("listed twice for one reason: %d", code)
		}
		var st credit.State
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-07-01", nil, &st)
		if len(st.Abnormal) != 1 || !st.Abnormal[0].Active || len(st.Serious) != 0 {
			t.Errorf("on the last day of three years: %+v %+v", st.Abnormal, st.Serious)
		}
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-07-02", nil, &st)
		if len(st.Serious) != 1 || !st.Serious[0].Active || st.Serious[0].ListedOn != "2026-07-02" ||
			st.Serious[0].EarlyRemovalFrom != "2027-07-03" || st.Serious[0].Cause != credit.CauseAbnormal3Years {
			t.Fatalf("after three years: %+v", st.Serious)
		}
		last, _ := calendar.ParseDate(st.Serious[0].Until)
		if on, err := w.m.OnSeriousList(context.Background(), bizA, last); err != nil || !on {
			t.Errorf("serious list on its last day: %v %v", on, err)
		}
		if on, _ := w.m.OnSeriousList(context.Background(), bizA, last.AddDays(1)); on {
			t.Error("serious list after its term")
		}
		if on, err := w.m.OnSeriousList(context.Background(), bizA, last); err != nil || !on {
			t.Errorf("serious list on its last day: %v %v", on, err)
		}
		// Only the listing department removes; the date must fit.
		id := strconv.FormatInt(ab.ID, 10)
		if code, _ := w.call(t, w.client(t, "cgj"), "POST", "/api/v1/credit/abnormal/"+id+"/removal", map[string]string{"removed_on": "2026-01-01"}, nil); code != 404 {
			t.Errorf("another department removes: %d", code)
		}
		if code, _ := w.call(t, scj, "POST", "/api/v1/credit/abnormal/"+id+"/removal", map[string]string{"removed_on": "2023-06-30"}, nil); code != 422 {
			t.Errorf("removal before listing: %d", code)
		}
		// Removed within the term (history loaded late): no serious listing.
		if code, body := w.call(t, scj, "POST", "/api/v1/credit/abnormal/"+id+"/removal", map[string]string{"removed_on": "2026-06-30"}, &ab); code != 200 || ab.Active {
			t.Fatalf("remove: %d %s", code, body)
		}
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-12-03", nil, &st)
		if len(st.Serious) != 0 || st.Abnormal[0].Active {
			t.Errorf("after removal within the term: %+v %+v", st.Abnormal, st.Serious)
		}
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizA+"?as_of=2026-06-29", nil, &st)
		if !st.Abnormal[0].Active || st.Abnormal[0].RemovedOn != nil {
			t.Errorf("as of the day before removal: %+v", st.Abnormal)
		}
		if code, _ := w.call(t, scj, "POST", "/api/v1/credit/abnormal/"+id+"/removal", map[string]string{"removed_on": "2026-07-01"}, nil); code != 409 {
			t.Errorf("removed twice: %d", code)
		}
		// Removed after the term: the serious listing stays.
		var late credit.Abnormal
		w.call(t, scj, "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizB, "reason": "unreachable", "listed_on": "2022-03-15"}, &late)
		w.call(t, scj, "POST", "/api/v1/credit/abnormal/"+strconv.FormatInt(late.ID, 10)+"/removal", map[string]string{"removed_on": "2025-10-01"}, nil)
		w.call(t, scj, "GET", "/api/v1/credit/entities/"+bizB, nil, &st)
		if len(st.Serious) != 1 || st.Serious[0].ListedOn != "2025-03-16" || !st.Serious[0].Active {
			t.Errorf("removed after three years: %+v", st.Serious)
		}
		// The tax bureau keeps no lists.
		if code, _ := w.call(t, w.client(t, "shuiwu"), "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizA, "reason": "false_info",
			"listed_on": "2026-01-05"}, nil); code != 403 {
			t.Errorf("tax bureau lists: %d", code)
		}
		if code, _ := w.call(t, scj, "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizA, "reason": "bankrupt",
			"listed_on": "2026-01-05"}, nil); code != 422 {
			t.Errorf("unknown reason: %d", code)
		}
	})
}

// 信用核查: the outcome follows the rules per purpose, every check is
// logged, and the business sees who checked it.
func TestCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		scj := w.client(t, "scjg")
		var res credit.CheckResult
		if code, body := w.call(t, scj, "GET", "/api/v1/credit/check/"+bizA+"?purpose=commitment", nil, &res); code != 200 ||
			res.Outcome != credit.OutcomeAllow || !res.Allowed || len(res.Reasons) != 0 {
			t.Fatalf("clean business: %d %s", code, body)
		}
		// Abnormal for a year: honours denied, a commitment weighed.
		w.call(t, scj, "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizA, "reason": "unreachable", "listed_on": "2025-11-01"}, nil)
		for purpose, want := range map[string]string{"honour": "deny", "commitment": "weigh", "procurement": "weigh"} {
			w.call(t, scj, "GET", "/api/v1/credit/check/"+bizA+"?purpose="+purpose, nil, &res)
			if res.Outcome != want || len(res.Reasons) != 1 || res.Reasons[0].Code != "abnormal" {
				t.Errorf("%s while abnormal: %+v", purpose, res)
			}
		}
		// Three years abnormal: on the serious list, a commitment is denied.
		w.call(t, scj, "POST", "/api/v1/credit/abnormal", map[string]any{"uscc": bizB, "reason": "annual_report", "listed_on": "2022-06-30"}, nil)
		w.call(t, scj, "GET", "/api/v1/credit/check/"+bizB+"?purpose=commitment", nil, &res)
		if res.Outcome != "deny" || res.Allowed || len(res.Reasons) != 2 {
			t.Errorf("commitment while serious: %+v", res)
		}
		if code, _ := w.call(t, scj, "GET", "/api/v1/credit/check/"+bizB+"?purpose=lottery", nil, nil); code != 422 {
			t.Errorf("unknown purpose: %d", code)
		}
		// The business checks itself and sees who checked it; another
		// business and citizens may not check it.
		ent := w.client(t, "ent_b")
		if code, _ := w.call(t, ent, "GET", "/api/v1/credit/check/"+bizB+"?purpose=honour", nil, &res); code != 200 || res.Purpose != "self" {
			t.Errorf("self-check: %d %+v", code, res)
		}
		for _, who := range []string{"ent_a", "citizen"} {
			if code, _ := w.call(t, w.client(t, who), "GET", "/api/v1/credit/check/"+bizB+"?purpose=honour", nil, nil); code != 404 {
				t.Errorf("%s checks another business: %d", who, code)
			}
			if code, _ := w.call(t, w.client(t, who), "GET", "/api/v1/credit/checks/"+bizB, nil, nil); code != 404 {
				t.Errorf("%s lists another business's checks: %d", who, code)
			}
		}
		var page struct {
			Items []credit.CheckEntry `json:"items"`
		}
		if code, _ := w.call(t, ent, "GET", "/api/v1/credit/checks/"+bizB, nil, &page); code != 200 || len(page.Items) != 2 ||
			page.Items[0].Purpose != "self" || page.Items[1].AskedBy != "临江区市场监督管理局" || page.Items[1].Allowed {
			t.Errorf("business sees its checks: %d %+v", code, page.Items)
		}
		var staff struct {
			Items []credit.CheckEntry `json:"items"`
		}
		w.call(t, scj, "GET", "/api/v1/credit/checks/"+bizB+"?limit=1", nil, &staff)
		if len(staff.Items) != 1 || staff.Items[0].Purpose != "self" {
			t.Errorf("staff page: %+v", staff.Items)
		}
		w.call(t, scj, "GET", "/api/v1/credit/checks/"+bizB, nil, &staff)
		if !strings.Contains(staff.Items[1].AskedBy, "孙丽") {
			t.Errorf("staff see the person who asked: %+v", staff.Items[1])
		}
	})
}
