package annualreport_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/annualreport"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/valid"
)

func uscc(body string) string { return body + string(ids.USCCCheck(body)) }

var (
	filer    = uscc("91990102MA01AR01X") // files on time
	idler    = uscc("91990102MA01AR02X") // never files: listed on 1 July
	closed   = uscc("91990102MA01AR03X") // 注销: owes nothing
	newcomer = uscc("91990102MA01AR04X") // established after the year: owes nothing
	late     = uscc("91990102MA01AR05X") // files after being listed
)

type world struct {
	db      *store.DB
	m       *annualreport.Module
	credit  *credit.Module
	now     *time.Time
	handler *auth.Actor // 临江区市场监管局, which keeps the abnormal list
	other   *auth.Actor // 临江区城管局
}

// at sets the clock to 10:00 China time on day (YYYY-MM-DD).
func (w *world) at(t *testing.T, day string) {
	t.Helper()
	d, err := calendar.ParseDate(day)
	if err != nil {
		t.Fatal(err)
	}
	*w.now = d.Start().Add(10 * time.Hour)
}

func enterprise(code string) *auth.Actor {
	return &auth.Actor{UserID: 50, Name: "企业", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: code}
}

func setup(t testing.TB, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	w := &world{db: db, now: &now}
	clock := func() time.Time { return *w.now }
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, clock)
	policy := auth.NewPolicy()
	depts := map[string]int64{}
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for _, d := range []struct{ code, name, region string }{{"YL-SCJG", "云澜市市场监督管理局", "990100"},
			{"LJ-SCJG", "临江区市场监督管理局", "990102"}, {"LJ-CGJ", "临江区城市管理局", "990102"}} {
			dep, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: d.code, Name: d.name, RegionCode: d.region})
			if err != nil {
				return err
			}
			depts[d.code] = dep.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.handler = &auth.Actor{UserID: 7, Name: "孙丽", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
		DepartmentIDs: []int64{depts["LJ-SCJG"]}}
	w.other = &auth.Actor{UserID: 8, Name: "周强", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
		DepartmentIDs: []int64{depts["LJ-CGJ"]}}
	reg, err := entity.New(entity.Deps{DB: db, Box: box, Policy: policy, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if w.credit, err = credit.New(credit.Deps{DB: db, Org: orgs, Policy: policy, Audit: audit.New(clock), Now: clock}); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"YL-SCJG", "LJ-SCJG"} {
		if err := w.credit.Grant(ctx, auth.System(), depts[code], credit.ListAbnormal); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []struct{ code, status, established string }{{filer, "存续", "2019-05-20"}, {idler, "存续", "2020-03-01"},
		{closed, "注销", "2018-01-01"}, {newcomer, "存续", "2026-11-01"}, {late, "在业", "2021-08-08"}} {
		if _, _, err := reg.Put(ctx, auth.System(), entity.Input{USCC: b.code, Name: "云澜测试企业" + b.code[14:], Type: "有限责任公司",
			LegalRep: "李娜", Address: "云澜市临江区滨江路1号", RegionCode: "990102", Industry: "F5211", CapitalYuan: 100000,
			EstablishedOn: b.established, Status: b.status}); err != nil {
			t.Fatal(err)
		}
	}
	// The newcomer was established in 2027, after the year reported on.
	if _, err := db.ExecContext(ctx, "UPDATE entities SET established_on = '2027-02-01' WHERE uscc = ?", newcomer); err != nil {
		t.Fatal(err)
	}
	if w.m, err = annualreport.New(annualreport.Deps{DB: db, Box: box, Policy: policy, Audit: audit.New(clock), Org: orgs,
		Register: reg, Credit: w.credit, Now: clock}); err != nil {
		t.Fatal(err)
	}
	return w
}

func content() annualreport.Content {
	c := annualreport.DemoContent()
	c.Phone = "13912345678"
	return c
}

// 企业信息公示暂行条例 第八条: the report for the previous year is filed
// from 1 January to 30 June; on 1 July the window is closed.
func TestFilingWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.at(t, "2026-12-31")
		if _, err := w.m.File(ctx, enterprise(filer), filer, 2026, content()); valid.Fields(err) == nil || valid.Fields(err)[0].Path != "year" {
			t.Errorf("2026 report on 31 December 2026: %v", err)
		}
		w.at(t, "2027-01-01")
		r, err := w.m.File(ctx, enterprise(filer), filer, 2026, content())
		if err != nil || r.FiledOn != "2027-01-01" || r.Late {
			t.Fatalf("on 1 January: %+v %v", r, err)
		}
		if _, err := w.m.File(ctx, enterprise(filer), filer, 2026, content()); !errors.Is(err, annualreport.ErrFiled) {
			t.Errorf("filed twice: %v", err)
		}
		w.at(t, "2027-06-30")
		if r, err := w.m.File(ctx, enterprise(late), late, 2026, content()); err != nil || r.FiledOn != "2027-06-30" {
			t.Errorf("on 30 June: %+v %v", r, err)
		}
		w.at(t, "2027-07-01")
		if _, err := w.m.File(ctx, enterprise(idler), idler, 2026, content()); !errors.Is(err, annualreport.ErrClosed) {
			t.Errorf("on 1 July: %v", err)
		}
		// Another business's report: not found, nothing filed.
		if _, err := w.m.File(ctx, enterprise(filer), idler, 2026, content()); !errors.Is(err, annualreport.ErrNotFound) {
			t.Errorf("someone else's: %v", err)
		}
		// A correction keeps the filing date and counts.
		w.at(t, "2027-03-01")
		c := content()
		c.Address = "云澜市临江区江滨街道幸福里20号"
		got, err := w.m.Correct(ctx, enterprise(filer), filer, 2026, c, 1)
		if err != nil || got.Corrections != 1 || got.FiledOn != "2027-01-01" || got.Content.Address != c.Address {
			t.Errorf("correct: %+v %v", got, err)
		}
		if _, err := w.m.Correct(ctx, enterprise(filer), filer, 2026, c, 1); !errors.Is(err, annualreport.ErrState) {
			t.Errorf("stale version: %v", err)
		}
	})
}

// Bad input names its field and stores nothing.
func TestFilingRefusesBadFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.at(t, "2027-02-01")
		c := content()
		c.Postcode, c.Email = "99010", "not-an-address"
		delete(c.Figures, "tax")
		c.Contributions[0].PaidFen = c.Contributions[0].SubscribedFen + 1
		c.Websites[0].URL = "javascript:alert(1)"
		c.Address = "滨江路\u202e88号"
		_, err := w.m.File(ctx, enterprise(filer), filer, 2026, c)
		var paths []string
		for _, fe := range valid.Fields(err) {
			paths = append(paths, fe.Path)
		}
		for _, want := range []string{"address", "postcode", "email", "figures.tax", "contributions[0].paid_fen", "websites[0].url"} {
			if !slices.Contains(paths, want) {
				t.Errorf("no problem named %s: %v", want, paths)
			}
		}
		var n int
		db.QueryRow("SELECT COUNT(*) FROM annual_reports").Scan(&n)
		if n != 0 {
			t.Errorf("%d reports stored", n)
		}
	})
}

// 第九条: 第一至六项 are public; of 第七项 only what the business chooses.
func TestPublicAndNonPublicFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.at(t, "2027-04-01")
		c := content()
		c.PublicFigures = []string{"employees", "tax"}
		if _, err := w.m.File(ctx, enterprise(filer), filer, 2026, c); err != nil {
			t.Fatal(err)
		}
		p, err := w.m.GetPublic(ctx, filer, 2026)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Figures) != 2 || p.Figures["employees"] != 36 || p.Figures["tax"] != 18600050 {
			t.Errorf("public figures: %v", p.Figures)
		}
		if _, shown := p.Figures["revenue"]; shown {
			t.Error("revenue published without the business's choice")
		}
		if p.Address == "" || len(p.Contributions) != 1 || len(p.Websites) != 1 {
			t.Errorf("the public items are missing: %+v", p)
		}
		if p.Phone == "13912345678" || !strings.HasSuffix(p.Phone, "5678") {
			t.Errorf("phone shown publicly: %q", p.Phone)
		}
		var enc string
		db.QueryRow("SELECT phone_enc FROM annual_reports WHERE uscc = ?", filer).Scan(&enc)
		if strings.Contains(enc, "13912345678") || enc == "" {
			t.Errorf("phone stored in the clear: %q", enc)
		}
		mine, err := w.m.Get(ctx, enterprise(filer), filer, 2026)
		if err != nil || mine.Content.Phone != "13912345678" || mine.Content.Figures["revenue"] != 420000000 {
			t.Errorf("the business reads its own report whole: %+v %v", mine, err)
		}
		staff, err := w.m.Get(ctx, w.other, filer, 2026)
		if err != nil || staff.Content.Phone == "13912345678" || staff.Content.Figures["revenue"] != 420000000 {
			t.Errorf("staff read every figure, the phone masked: %+v %v", staff, err)
		}
		if _, err := w.m.Get(ctx, enterprise(idler), filer, 2026); !errors.Is(err, annualreport.ErrNotFound) {
			t.Errorf("another business reads it: %v", err)
		}
	})
}

// Reminders go once per business, from 15 days before 30 June; on 1 July
// exactly the businesses that owed the report and did not file are
// listed, each with its decision number, once however often the sweep runs.
func TestRemindersAndJulyListing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.at(t, "2027-03-01")
		if _, err := w.m.File(ctx, enterprise(filer), filer, 2026, content()); err != nil {
			t.Fatal(err)
		}
		sweep := func(day string) annualreport.SweepResult {
			t.Helper()
			w.at(t, day)
			res, err := w.m.Sweep(ctx, calendar.DateOf(*w.now), nil)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		if res := sweep("2027-06-14"); res.Reminded != 0 {
			t.Errorf("reminded 16 days before: %+v", res)
		}
		if res := sweep("2027-06-15"); res.Reminded != 2 {
			t.Errorf("15 days before, the idler and the late one: %+v", res)
		}
		if res := sweep("2027-06-20"); res.Reminded != 0 {
			t.Errorf("reminded twice: %+v", res)
		}
		var events int
		db.QueryRow("SELECT COUNT(*) FROM outbox WHERE topic = ?", annualreport.TopicReminder).Scan(&events)
		if events != 2 {
			t.Errorf("%d reminder events, want 2", events)
		}
		if res := sweep("2027-06-30"); res.Listed != 0 {
			t.Errorf("listed on 30 June: %+v", res)
		}
		res := sweep("2027-07-01")
		if res.Listed != 2 || res.Year != 2026 {
			t.Fatalf("1 July: %+v", res)
		}
		for _, code := range []string{filer, idler, closed, newcomer, late} {
			st, err := w.credit.StateOf(ctx, auth.System(), code, calendar.NewDate(2027, 7, 1))
			if err != nil {
				t.Fatal(err)
			}
			want := code == idler || code == late
			if got := len(st.Abnormal) == 1 && st.Abnormal[0].Active && st.Abnormal[0].Reason == "annual_report"; got != want {
				t.Errorf("%s listed = %v, want %v: %+v", code, got, want, st.Abnormal)
			}
			if want {
				ab := st.Abnormal[0]
				if ab.ListedOn != "2027-07-01" || !strings.HasPrefix(ab.DecisionNo, "市监异〔2027〕") || ab.DepartmentID != w.handler.DepartmentIDs[0] {
					t.Errorf("%s listing: %+v", code, ab)
				}
			}
		}
		if again := sweep("2027-07-01"); !again.Done || again.Listed != 0 {
			t.Errorf("second sweep on 1 July: %+v", again)
		}
		if again := sweep("2027-07-02"); !again.Done {
			t.Errorf("sweep on 2 July: %+v", again)
		}
		var listings int
		db.QueryRow("SELECT COUNT(*) FROM credit_abnormal").Scan(&listings)
		if listings != 2 {
			t.Errorf("%d listings after three sweeps, want 2", listings)
		}
		// Filing afterwards (补报) is allowed to a listed business, then
		// removal on application, decided by the listing department.
		w.at(t, "2027-07-10")
		if _, err := w.m.ApplyRemoval(ctx, enterprise(late), 2026); valid.Fields(err) == nil {
			t.Errorf("removal before filing: %v", err)
		}
		r, err := w.m.File(ctx, enterprise(late), late, 2026, content())
		if err != nil || !r.Late {
			t.Fatalf("late filing: %+v %v", r, err)
		}
		l, err := w.m.ApplyRemoval(ctx, enterprise(late), 2026)
		if err != nil || l.RemovalStatus != "pending" {
			t.Fatalf("apply: %+v %v", l, err)
		}
		if _, err := w.m.DecideRemoval(ctx, w.other, l.ID, annualreport.RemovalDecision{Remove: true, DecisionNo: "临城管〔2027〕1号"}); !errors.Is(err, annualreport.ErrNotFound) {
			t.Errorf("another department decides: %v", err)
		}
		if _, err := w.m.DecideRemoval(ctx, w.handler, l.ID, annualreport.RemovalDecision{Remove: true}); valid.Fields(err) == nil {
			t.Errorf("removal without a decision number: %v", err)
		}
		w.at(t, "2027-07-12")
		got, err := w.m.DecideRemoval(ctx, w.handler, l.ID, annualreport.RemovalDecision{Remove: true, DecisionNo: "临市监移〔2027〕1号"})
		if err != nil || got.RemovalStatus != "removed" || got.RemovalNo != "临市监移〔2027〕1号" {
			t.Fatalf("decide: %+v %v", got, err)
		}
		st, _ := w.credit.StateOf(ctx, auth.System(), late, calendar.NewDate(2027, 7, 12))
		if len(st.Abnormal) != 1 || st.Abnormal[0].Active || st.Abnormal[0].RemovedOn == nil || *st.Abnormal[0].RemovedOn != "2027-07-12" {
			t.Errorf("after removal: %+v", st.Abnormal)
		}
		if st, _ := w.credit.StateOf(ctx, auth.System(), idler, calendar.NewDate(2027, 7, 12)); !st.Abnormal[0].Active {
			t.Errorf("the idler was removed too: %+v", st.Abnormal)
		}
		if _, err := w.m.DecideRemoval(ctx, w.handler, l.ID, annualreport.RemovalDecision{Remove: true, DecisionNo: "x"}); !errors.Is(err, annualreport.ErrState) {
			t.Errorf("decided twice: %v", err)
		}
	})
}

// Staff lists of filed and not filed reports page through every business.
func TestStaffLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.at(t, "2027-03-01")
		for _, code := range []string{filer, late} {
			if _, err := w.m.File(ctx, enterprise(code), code, 2026, content()); err != nil {
				t.Fatal(err)
			}
		}
		page, pg, err := w.m.Filed(ctx, w.other, 2026, store.Cursor{}, 1)
		if err != nil || len(page) != 1 || pg.Next.IsZero() || pg.Count != 2 {
			t.Fatalf("filed, page 1: %+v %+v %v", page, pg, err)
		}
		page2, pg2, err := w.m.Filed(ctx, w.other, 2026, pg.Next, 1)
		if err != nil || len(page2) != 1 || !pg2.Next.IsZero() || page2[0].USCC == page[0].USCC {
			t.Errorf("filed, page 2: %+v %+v %v", page2, pg2, err)
		}
		missing, next, err := w.m.NotFiled(ctx, w.other, 2026, "", 10)
		if err != nil || len(missing) != 1 || missing[0].USCC != idler || next != "" {
			t.Errorf("not filed: %+v %q %v", missing, next, err)
		}
		if _, _, err := w.m.Filed(ctx, enterprise(filer), 2026, store.Cursor{}, 10); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("a business reads the list: %v", err)
		}
	})
}

// A province sets the window and the reminder differently.
func TestRulesOverride(t *testing.T) {
	r, err := annualreport.ParseRules([]byte(`{"window_end": "05-31", "remind_days_before": 10}`))
	if err != nil {
		t.Fatal(err)
	}
	from, to := r.Window(2026)
	if from.String() != "2027-01-01" || to.String() != "2027-05-31" || r.RemindDaysBefore != 10 || r.DecisionPrefix != "市监异" {
		t.Errorf("override: %s %s %+v", from, to, r)
	}
	for _, bad := range []string{`{"window_end": "13-01"}`, `{"window_end": "01-01"}`, `{"statuses": []}`, `{"remind_days_before": -1}`,
		`{"unknown": 1}`} {
		if _, err := annualreport.ParseRules([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	d := annualreport.DefaultRules()
	if _, to := d.Window(2026); to.String() != "2027-06-30" {
		t.Errorf("national default ends %s", to)
	}
}

// A sweep that stopped after the credit module listed a business but before
// its row named the listing completes the row and lists nobody twice.
func TestListingResumes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		w.at(t, "2027-07-01")
		if res, err := w.m.Sweep(ctx, calendar.NewDate(2027, 7, 1), nil); err != nil || !res.Unobserved || res.Listed != 0 {
			t.Fatalf("a platform that never saw the window lists: %+v %v", res, err)
		}
		if err := w.m.ObserveWindow(ctx, 2026, calendar.NewDate(2027, 1, 1)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.credit.ListAsAbnormal(ctx, w.handler, credit.AbnormalInput{USCC: idler, Reason: "annual_report",
			ListedOn: "2027-07-01", DecisionNo: "市监异〔2027〕000009号"}); err != nil {
			t.Fatal(err)
		}
		res, err := w.m.Sweep(ctx, calendar.NewDate(2027, 7, 1), nil)
		if err != nil || res.Listed != 2 { // the filer, not filing here, and the late one; the idler was listed already
			t.Fatalf("sweep: %+v %v", res, err)
		}
		var n int
		db.QueryRow("SELECT COUNT(*) FROM credit_abnormal WHERE uscc = ?", idler).Scan(&n)
		if n != 1 {
			t.Errorf("the idler listed %d times", n)
		}
		ls, err := w.m.Listings(ctx, auth.System(), idler)
		if err != nil || len(ls) != 1 || ls[0].AbnormalID == 0 {
			t.Errorf("the idler's row: %+v %v", ls, err)
		}
	})
}
