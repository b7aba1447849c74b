package app

import (
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

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
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
func eventsBecomeCreditRecords(t *testing.T, ctx context.Context, db *store.DB, a *App, seeded *demo.Seeded) {
	drain(t, a)
	var approved int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM casework_applications WHERE applicant_uscc = ? AND decision = 'approve'`,
		demo.EnterpriseUSCC()).Scan(&approved); err != nil {
		t.Fatal(err)
	}
	// The demo's own licence records (loaded as another department's) stay
	// as they are; one record per approval comes from the events.
	var licences []credit.Record
	all := len(recordsOf(t, a, demo.EnterpriseUSCC(), credit.KindLicense))
	for _, r := range recordsOf(t, a, demo.EnterpriseUSCC(), credit.KindLicense) {
		if strings.HasPrefix(r.DecisionNo, "许可-") {
			licences = append(licences, r)
		}
	}
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
	if n := len(recordsOf(t, a, demo.EnterpriseUSCC(), credit.KindLicense)); n != all {
		t.Errorf("after redelivery %d licence records, want %d", n, all)
	}
	if n := len(recordsOf(t, a, entity.DemoUSCC(1), credit.KindAnnualReport)); n != 1 {
		t.Errorf("after redelivery %d annual report records", n)
	}
}

// An enterprise account is linked only to a business of the register.
func enterpriseLinkNeedsRegister(t *testing.T, ctx context.Context, db *store.DB, a *App, seeded *demo.Seeded) {
	unknown := "91990103MA01YL9B0"
	unknown += string(ids.USCCCheck(unknown))
	nu := org.NewUser{Username: "new_ent", DisplayName: "新企业", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102",
		USCC: unknown, Password: "Qiu-shui-2468"}
	_, err := a.Org.CreateUser(ctx, a.DB, nu)
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
}

// session signs username in to srv and returns a client that sends its
// cookies and does not follow redirects.
func session(t *testing.T, srv *httptest.Server, username string) func(method, path string, form url.Values) (int, string, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values, cookies []*http.Cookie) *http.Response {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, srv.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("Origin", srv.URL)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var cookies []*http.Cookie
	if username != "" {
		resp := do("POST", "/signin", url.Values{"username": {username}, "password": {demo.Password}}, nil)
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: sign-in %d", username, resp.StatusCode)
		}
		cookies = resp.Cookies()
	}
	return func(method, path string, form url.Values) (int, string, string) {
		resp := do(method, path, form, cookies)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
}

// The demo's way through an annual report: the sweep lists the demo
// enterprise, which files late on its phone and applies for removal; the
// district's market regulation removes it; the public sees only the
// published figures of a report.
func annualReportPages(t *testing.T, ctx context.Context, db *store.DB, a *App, seeded *demo.Seeded) {
	today := calendar.DateOf(time.Now())
	year := today.Year() - 1
	if _, to := a.AnnualReports.Rules().Window(year); !today.After(to) {
		t.Skip("inside the filing window: the demo's businesses are not listed yet")
	}
	if _, err := a.AnnualReports.Sweep(ctx, today, nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Web.Handler())
	defer srv.Close()
	ent := session(t, srv, "yunlan_food")
	ys := strconv.Itoa(year)
	if code, _, body := ent("GET", "/annual-reports/mine", nil); code != 200 || !strings.Contains(body, "申请移出") || !strings.Contains(body, "市监异〔") {
		t.Fatalf("my reports: %d %s", code, body)
	}
	if code, _, body := ent("GET", "/annual-reports/mine/"+ys, nil); code != 200 || !strings.Contains(body, `name="fig_employees"`) {
		t.Fatalf("form: %d", code)
	}
	form := url.Values{"address": {"云澜市临江区滨江路88号"}, "postcode": {"990102"}, "phone": {"13800000002"},
		"operating_status": {"开业"}, "con_0_shareholder": {"李娜"}, "con_0_subscribed": {"500000"}, "con_0_paid": {"300000.5"},
		"con_0_paid_on": {"2020-01-10"}, "con_0_method": {"货币"}, "web_0_kind": {"shop"}, "web_0_name": {""}, "web_0_url": {""}}
	for _, f := range []string{"employees", "assets", "liabilities", "guarantees", "equity", "revenue", "main_revenue", "profit", "net_profit", "tax"} {
		form.Set("fig_"+f, "100")
	}
	form.Set("pub_employees", "1")
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("postcode", "12")
	if code, _, body := ent("POST", "/annual-reports/mine/"+ys, bad); code != 422 || !strings.Contains(body, "邮政编码为6位数字") {
		t.Errorf("bad postcode: %d", code)
	}
	if code, loc, _ := ent("POST", "/annual-reports/mine/"+ys, form); code != 303 || loc != "/annual-reports/mine?ok=filed" {
		t.Fatalf("late filing: %d %q", code, loc)
	}
	rep, err := a.AnnualReports.Get(ctx, auth.System(), demo.EnterpriseUSCC(), year)
	if err != nil || !rep.Late || rep.Content.Contributions[0].PaidFen != 30000050 || len(rep.Content.Websites) != 0 {
		t.Fatalf("stored: %+v %v", rep, err)
	}
	if code, loc, _ := ent("POST", "/annual-reports/mine/"+ys+"/removal", url.Values{}); code != 303 || loc != "/annual-reports/mine?ok=applied" {
		t.Fatalf("apply: %d %q", code, loc)
	}
	officer := session(t, srv, "approver_scj")
	code, _, body := officer("GET", "/annual-reports/removals", nil)
	if code != 200 || !strings.Contains(body, demo.EnterpriseUSCC()) {
		t.Fatalf("removals: %d", code)
	}
	ls, err := a.AnnualReports.Listings(ctx, auth.System(), demo.EnterpriseUSCC())
	if err != nil || len(ls) != 1 {
		t.Fatalf("listings: %+v %v", ls, err)
	}
	if code, loc, _ := officer("POST", "/annual-reports/removals/"+strconv.FormatInt(ls[0].ID, 10),
		url.Values{"remove": {"1"}, "decision_no": {"临市监移〔2026〕1号"}}); code != 303 || loc != "/annual-reports/removals?ok=removed" {
		t.Fatalf("decide: %d %q", code, loc)
	}
	st, _ := a.Credit.StateOf(ctx, auth.System(), demo.EnterpriseUSCC(), calendar.Date{})
	for _, ab := range st.Abnormal {
		if ab.Reason == "annual_report" && ab.Active {
			t.Errorf("still listed: %+v", ab)
		}
	}
	// Staff lists and their export.
	if code, _, body := officer("GET", "/annual-reports?year="+ys+"&filed=0", nil); code != 200 || strings.Contains(body, demo.EnterpriseUSCC()) {
		t.Errorf("not filed list: %d", code)
	}
	if code, _, body := officer("GET", "/annual-reports/export?year="+ys, nil); code != 200 || !strings.HasPrefix(body, "PK") {
		t.Errorf("export: %d", code)
	}
	// The public sees the published figures only.
	anon := session(t, srv, "")
	code, _, body = anon("GET", "/api/v1/annual-reports/public/"+entity.DemoUSCC(1)+"/"+ys, nil)
	if code != 200 || !strings.Contains(body, `"employees":36`) || strings.Contains(body, "revenue") {
		t.Errorf("public report: %d %s", code, body)
	}
	// The business sees its register entry and facts.
	if code, _, body := ent("GET", "/entities/"+demo.EnterpriseUSCC(), nil); code != 200 || !strings.Contains(body, "从业人数") {
		t.Errorf("own business page: %d", code)
	}
	if code, _, _ := ent("GET", "/entities/"+entity.DemoUSCC(1), nil); code != 404 {
		t.Errorf("another business's page: %d", code)
	}
}

// A commitment found false and a closed complaint about a business become
// credit records once each, whatever the redelivery. The events are
// handed to the consumers as the outbox would; the rows they read are set
// as the modules leave them.
func falseCommitmentAndComplaintRecords(t *testing.T, ctx context.Context, db *store.DB, a *App, seeded *demo.Seeded) {
	c := creditEvents{a: a}
	var appID int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM casework_applications WHERE applicant_uscc = ? AND decision = 'approve'
			ORDER BY id LIMIT 1`, demo.EnterpriseUSCC()).Scan(&appID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE casework_applications SET verification_result = 'false', verified_at = ? WHERE id = ?`,
		store.Time(time.Now()), appID); err != nil {
		t.Fatal(err)
	}
	ev := outbox.Event{ID: 1, Topic: "casework.changed", Payload: []byte(`{"id": ` + strconv.FormatInt(appID, 10) + `, "action": "verify_false"}`)}
	other := outbox.Event{ID: 2, Topic: "casework.changed", Payload: []byte(`{"id": ` + strconv.FormatInt(appID, 10) + `, "action": "accept"}`)}
	for _, e := range []outbox.Event{ev, ev, other} {
		if err := c.falseCommitment(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if recs := recordsOf(t, a, demo.EnterpriseUSCC(), credit.KindFalseCommitment); len(recs) != 1 || !strings.HasPrefix(recs[0].DecisionNo, "承诺不实-") {
		t.Errorf("false commitment records: %+v", recs)
	}
	var orderID int64
	if err := db.QueryRowContext(ctx, "SELECT id FROM hotline_orders ORDER BY id LIMIT 1").Scan(&orderID); err != nil {
		t.Fatal(err)
	}
	closed := func(typ string) outbox.Event {
		if _, err := db.ExecContext(ctx, `UPDATE hotline_orders SET order_type = ?, uscc = ?, status = 'closed', closed_at = ? WHERE id = ?`,
			typ, entity.DemoUSCC(2), store.Time(time.Now()), orderID); err != nil {
			t.Fatal(err)
		}
		return outbox.Event{ID: 3, Topic: "flow.transition", CreatedAt: time.Now(),
			Payload: []byte(`{"subject_type": "hotline_order", "subject_id": ` + strconv.FormatInt(orderID, 10) + `, "to": "closed"}`)}
	}
	if err := c.complaint(ctx, closed("consult")); err != nil {
		t.Fatal(err)
	}
	if recs := recordsOf(t, a, entity.DemoUSCC(2), credit.KindComplaint); len(recs) != 0 {
		t.Errorf("a consultation became a complaint record: %+v", recs)
	}
	e := closed("complaint")
	for range 2 {
		if err := c.complaint(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	recs := recordsOf(t, a, entity.DemoUSCC(2), credit.KindComplaint)
	if len(recs) != 1 || !strings.HasPrefix(recs[0].DecisionNo, "12345-") || recs[0].Public {
		t.Errorf("complaint records: %+v", recs)
	}
}

// The facts API: the tax bureau reports what it is the source of, a
// refused value names its field, the business reads its own as of a date,
// and a facts file with a bad row stores nothing.
func factsAPI(t *testing.T, ctx context.Context, db *store.DB, a *App, seeded *demo.Seeded) {
	if _, err := a.Org.CreateUser(ctx, a.DB, org.NewUser{Username: "tax_officer", DisplayName: "税务 王芳",
		Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990100", DepartmentIDs: []int64{seeded.Departments["YL-SW"]},
		Password: demo.Password}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Web.Handler())
	defer srv.Close()
	c := &http.Client{}
	token := func(user string) string {
		resp, err := c.Post(srv.URL+"/api/v1/sessions", "application/json",
			strings.NewReader(`{"username": "`+user+`", "password": "`+demo.Password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Token string `json:"token"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		if out.Token == "" {
			t.Fatalf("%s: no token (%d)", user, resp.StatusCode)
		}
		return out.Token
	}
	call := func(tok, method, path, ctype, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tax, ent := token("tax_officer"), token("yunlan_food")
	path := "/api/v1/entities/" + demo.EnterpriseUSCC() + "/facts"
	today := calendar.DateOf(time.Now())
	yesterday, before := today.AddDays(-1).String(), today.AddDays(-2).String()
	if code, body := call(tax, "PUT", path, "application/json",
		`{"facts": [{"name": "tax_paid", "value": "250000.00", "as_of": "`+yesterday+`"}]}`); code != 200 || !strings.Contains(body, `"value":"25000000"`) {
		t.Errorf("put: %d %s", code, body)
	}
	if code, body := call(tax, "PUT", path, "application/json",
		`{"facts": [{"name": "high_tech", "value": "是", "as_of": "2026-06-30"}]}`); code != 422 || !strings.Contains(body, "body.facts[0].name") {
		t.Errorf("a fact of another source: %d %s", code, body)
	}
	if code, body := call(tax, "PUT", path, "application/json",
		`{"facts": [{"name": "tax_paid", "value": "0.001", "as_of": "2026-06-30"}]}`); code != 422 || !strings.Contains(body, "body.facts[0].value") {
		t.Errorf("a bad amount: %d %s", code, body)
	}
	if code, _ := call(ent, "PUT", path, "application/json",
		`{"facts": [{"name": "tax_paid", "value": "1", "as_of": "2026-06-30"}]}`); code != 403 {
		t.Errorf("the business reports its own tax: %d", code)
	}
	if code, body := call(ent, "GET", path+"?as_of="+yesterday, "", ""); code != 200 || !strings.Contains(body, `"value":"25000000"`) {
		t.Errorf("own facts: %d %s", code, body)
	}
	// The day before, the demo's earlier figure (seeded 30 days back).
	if code, body := call(ent, "GET", path+"?as_of="+before, "", ""); code != 200 || strings.Contains(body, `"value":"25000000"`) ||
		!strings.Contains(body, `"value":"18600050"`) {
		t.Errorf("as of the day before: %d %s", code, body)
	}
	csv := "统一社会信用代码,指标,数值,截至日期\n" + demo.EnterpriseUSCC() + ",revenue,100,2026-06-30\n" +
		demo.EnterpriseUSCC() + ",revenue,abc,2026-06-30\n"
	code, body := call(tax, "POST", "/api/v1/entities/facts/import", "text/csv", csv)
	if code != 200 || !strings.Contains(body, `"applied":false`) || !strings.Contains(body, `{"row":3,"field":"value"`) {
		t.Errorf("import: %d %s", code, body)
	}
}

// The annual reports and the credit wiring, on one demo per engine (the
// demo takes long to seed on a loaded PostgreSQL).
func TestAnnualReportsAndCreditWiring(t *testing.T) {
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
		for _, c := range []struct {
			name string
			fn   func(*testing.T, context.Context, *store.DB, *App, *demo.Seeded)
		}{{"events become credit records", eventsBecomeCreditRecords}, {"false commitment and complaint", falseCommitmentAndComplaintRecords},
			{"enterprise link needs the register", enterpriseLinkNeedsRegister}, {"facts API", factsAPI}, {"annual report pages", annualReportPages}} {
			t.Run(c.name, func(t *testing.T) { c.fn(t, ctx, db, a, seeded) })
		}
	})
}
