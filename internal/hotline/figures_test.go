package hotline_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

var cstZone = time.FixedZone("CST", 8*3600)

// figuresWorld builds October 2026's hand-made orders:
//
//	A deptA: signed in time, replied in time, visited solved, satisfied
//	B deptA: signed late, replied late, visited unsolved, basically satisfied
//	C deptA: signed in time, replied in time, visited unsolved, dissatisfied
//	G deptA: reopened after a reasonable dissatisfaction, redone in time, visited solved, satisfied
//	H deptB: signed in time, replied in time, visited solved, dissatisfied
//	I deptB, district 990103: signed in time, not replied
//	E consultation closed at intake; F merged into A
//	L taken in at 2026-10-31 23:30 CST (October); N at 2026-11-01 00:10 CST (November)
//	D deptA: dispatched last, not signed (inside its sign-for limit when first counted)
type figuresWorld struct {
	*world
	ids map[string]int64
}

func (w *world) at(t time.Time) { w.mu.Lock(); w.now = t.UTC(); w.mu.Unlock() }

func buildFigures(t *testing.T, db *store.DB) *figuresWorld {
	w := setup(t, db, hotline.Config{})
	ctx := context.Background()
	fw := &figuresWorld{world: w, ids: map[string]int64{}}
	day := func(d, h int) time.Time { return time.Date(2026, 10, d, h, 0, 0, 0, cstZone) }
	op, disp := w.a("op"), w.a("disp")
	handler := map[int64]*auth.Actor{w.deptA: w.a("ha"), w.deptB: w.a("hb")}
	// run takes an order from intake at start through the steps: sign
	// after signAfter, reply after replyAfter, close, visit.
	run := func(name string, start time.Time, dept int64, region string, signAfter, replyAfter time.Duration, visit *hotline.VisitInput) int64 {
		t.Helper()
		w.at(start)
		n := complaint("1380000" + strconv.Itoa(1000+len(fw.ids)))
		n.RegionCode = region
		o := w.intake(n)
		fw.ids[name] = o.ID
		must(w.m.Dispatch(ctx, disp, o.ID, hotline.DispatchInput{Lead: dept}))
		if signAfter == 0 {
			return o.ID
		}
		w.advance(signAfter)
		must(w.m.SignFor(ctx, handler[dept], o.ID))
		if replyAfter == 0 {
			return o.ID
		}
		w.advance(replyAfter)
		must(w.m.Reply(ctx, handler[dept], o.ID, "已处理完毕。"))
		must(w.m.Close(ctx, disp, o.ID, ""))
		if visit != nil {
			w.advance(24 * time.Hour)
			must(w.m.Visit(ctx, op, o.ID, *visit))
		}
		return o.ID
	}
	hour, days := time.Hour, func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
	run("A", day(12, 10), w.deptA, "990102", hour, days(2), &hotline.VisitInput{Solved: true, Satisfaction: hotline.Satisfied})
	run("B", day(12, 11), w.deptA, "990102", days(4), days(40), &hotline.VisitInput{Solved: false, Satisfaction: hotline.BasicSatisfied})
	run("C", day(13, 10), w.deptA, "990102", hour, days(1), &hotline.VisitInput{Solved: false, Satisfaction: hotline.Dissatisfied})
	g := run("G", day(14, 10), w.deptA, "990102", hour, days(1),
		&hotline.VisitInput{Solved: false, Satisfaction: hotline.Dissatisfied, Reasonable: true, Note: "问题复发"})
	w.advance(days(1))
	must(w.m.Reply(ctx, handler[w.deptA], g, "已彻底整改。"))
	must(w.m.Close(ctx, disp, g, ""))
	must(w.m.Visit(ctx, op, g, hotline.VisitInput{Solved: true, Satisfaction: hotline.Satisfied}))
	run("H", day(15, 10), w.deptB, "990102", hour, days(1), &hotline.VisitInput{Solved: true, Satisfaction: hotline.Dissatisfied})
	run("I", day(15, 11), w.deptB, "990103", hour, 0, nil)

	w.at(day(16, 10))
	e := complaint("13900002222")
	e.Type, e.DirectAnswer = hotline.TypeConsult, "营业时间为工作日9点至17点。"
	fw.ids["E"] = w.intake(e).ID
	f := complaint("13900003333")
	f.MergeInto = fw.ids["A"]
	fw.ids["F"] = w.intake(f).ID

	w.at(time.Date(2026, 10, 31, 23, 30, 0, 0, cstZone))
	fw.ids["L"] = w.intake(complaint("13900004444")).ID
	w.at(time.Date(2026, 11, 1, 0, 10, 0, 0, cstZone))
	fw.ids["N"] = w.intake(complaint("13900005555")).ID

	// D last: dispatched on 2026-10-20 and looked at an hour later.
	run("D", day(20, 10), w.deptA, "990102", 0, 0, nil)
	w.at(day(20, 11))
	return fw
}

func rowOf(t *testing.T, rows []hotline.Rates, key string) hotline.Rates {
	t.Helper()
	for _, r := range rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no row %s in %+v", key, rows)
	return hotline.Rates{}
}

func TestFiguresFormulas(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fw := buildFigures(t, db)
		ctx := context.Background()
		oct := must(hotline.ParseMonth("2026-10"))
		sup := fw.a("sup")
		f := must(fw.m.Figures(ctx, sup, oct, hotline.ByDepartment, hotline.DefaultWeights()))
		a := rowOf(t, f.Rows, strconv.FormatInt(fw.deptA, 10))
		want := struct{ resp, res, sat, on hotline.Rate }{
			resp: hotline.Rate{N: 3, D: 4}, // A, C, G in time; B late; D inside its limit: not judged yet
			res:  hotline.Rate{N: 2, D: 4}, // A, G solved; B, C not
			sat:  hotline.Rate{N: 3, D: 4}, // A, G satisfied, B basically; C dissatisfied
			on:   hotline.Rate{N: 3, D: 4}, // B replied after its 13 working days
		}
		if a.Response != want.resp || a.Resolution != want.res || a.Satisfaction != want.sat || a.OnTime != want.on {
			t.Errorf("deptA: response %v resolution %v satisfaction %v on time %v, want %v",
				a.Response, a.Resolution, a.Satisfaction, a.OnTime, want)
		}
		if a.Orders != 5 || a.Reopened != 1 {
			t.Errorf("deptA orders %d reopened %d, want 5 and 1 (G counted once)", a.Orders, a.Reopened)
		}
		// 0.2×0.75 + 0.4×0.5 + 0.4×0.75 = 0.65
		if !a.Scored || a.Score != 65 {
			t.Errorf("deptA score %v, want 65", a.Score)
		}
		b := rowOf(t, f.Rows, strconv.FormatInt(fw.deptB, 10))
		if b.Response != (hotline.Rate{N: 2, D: 2}) || b.Satisfaction != (hotline.Rate{N: 0, D: 1}) || b.OnTime != (hotline.Rate{N: 1, D: 1}) {
			t.Errorf("deptB %+v", b)
		}
		// 0.2×1 + 0.4×1 + 0.4×0 = 0.6: deptA ranks first.
		if f.Rows[0].Key != a.Key || f.Rows[0].Rank != 1 || b.Score != 60 {
			t.Errorf("ranking %+v", f.Rows)
		}
		// Totals: A B C D G H I E L (not F, merged; not N, November).
		if f.Total.Orders != 9 || f.Total.Merged != 1 || f.Total.DirectClosed != 1 {
			t.Errorf("total orders %d merged %d direct %d, want 9, 1, 1", f.Total.Orders, f.Total.Merged, f.Total.DirectClosed)
		}
		// The closure at intake is in no rate.
		if f.Total.OnTime.D != 5 || f.Total.Resolution.D != 5 {
			t.Errorf("total on time %v resolution %v: the direct closure must not count", f.Total.OnTime, f.Total.Resolution)
		}
		nov := must(fw.m.Figures(ctx, sup, oct.Add(1), hotline.ByDepartment, hotline.DefaultWeights()))
		if nov.Total.Orders != 1 {
			t.Errorf("November orders %d, want 1 (the order at 00:10 CST on 1 November)", nov.Total.Orders)
		}

		// Once D's sign-for limit has passed unsigned, it counts against deptA.
		fw.advance(5 * 24 * time.Hour)
		f = must(fw.m.Figures(ctx, sup, oct, hotline.ByDepartment, hotline.DefaultWeights()))
		if got := rowOf(t, f.Rows, strconv.FormatInt(fw.deptA, 10)).Response; got != (hotline.Rate{N: 3, D: 5}) {
			t.Errorf("after D's limit: response %v, want 3/5", got)
		}
	})
}

func TestFiguresRegionScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fw := buildFigures(t, db)
		ctx := context.Background()
		oct := must(hotline.ParseMonth("2026-10"))
		city := must(fw.m.Figures(ctx, fw.a("sup"), oct, hotline.ByRegion, hotline.DefaultWeights()))
		if len(city.Rows) != 2 || rowOf(t, city.Rows, "990103").Orders != 1 {
			t.Errorf("city regions %+v", city.Rows)
		}
		district := &auth.Actor{UserID: 999, Name: "区督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990102"}
		f := must(fw.m.Figures(ctx, district, oct, hotline.ByRegion, hotline.DefaultWeights()))
		if len(f.Rows) != 1 || f.Rows[0].Key != "990102" || f.Total.Orders != 8 {
			t.Errorf("district sees %+v total %d, want only 990102 with 8 orders", f.Rows, f.Total.Orders)
		}
		d := must(fw.m.Figures(ctx, district, oct, hotline.ByDepartment, hotline.DefaultWeights()))
		if b := rowOf(t, d.Rows, strconv.FormatInt(fw.deptB, 10)); b.Orders != 1 {
			t.Errorf("district sees deptB's order in 990103: %+v", b)
		}
		if _, err := fw.m.Figures(ctx, fw.a("ha"), oct, hotline.ByRegion, hotline.DefaultWeights()); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("handler: %v, want forbidden", err)
		}
		if _, err := fw.m.Figures(ctx, fw.a("sup"), oct, "colour", hotline.DefaultWeights()); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("bad grouping: %v", err)
		}
		if _, err := hotline.ParseMonth("2026-13"); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("bad month: %v", err)
		}
	})
}

func TestRankingPublicAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fw := buildFigures(t, db)
		anon := &http.Client{}
		code, body := fw.get(t, anon, "/hotline/ranking?month=2026-10")
		if code != http.StatusOK || !strings.Contains(body, "临江区市场监督管理局") || !strings.Contains(body, "65.0") {
			t.Fatalf("public ranking: %d\n%s", code, body)
		}
		for _, secret := range []string{"李先生", "13800001000", "1380000", "江滨路"} {
			if strings.Contains(body, secret) {
				t.Errorf("public ranking shows %q", secret)
			}
		}
		if !strings.Contains(body, "上月未排名") || !strings.Contains(body, "响应率 = 在签收时限内签收的工单数") {
			t.Errorf("ranking lacks the movement text or the formula")
		}
		code, body = fw.get(t, anon, "/api/v1/hotline/ranking?month=2026-10")
		var rk hotline.Ranking
		if code != http.StatusOK || json.Unmarshal([]byte(body), &rk) != nil || len(rk.Rows) != 2 || rk.Rows[0].Name != "临江区市场监督管理局" {
			t.Errorf("ranking API: %d %s", code, body)
		}
		if strings.Contains(body, "1380000") || strings.Contains(body, "李先生") {
			t.Errorf("ranking API shows caller data")
		}
		if code, _ := fw.get(t, anon, "/api/v1/hotline/figures?month=2026-10"); code != http.StatusUnauthorized {
			t.Errorf("anonymous figures API: %d", code)
		}
		if code, _ := fw.get(t, anon, "/api/v1/hotline/ranking?month=2026-13"); code/100 != 4 {
			t.Errorf("bad month: %d", code)
		}

		sup := fw.client(t, "sup")
		code, body = fw.get(t, sup, "/hotline/figures?month=2026-10")
		if code != http.StatusOK || !strings.Contains(body, "<svg") || !strings.Contains(body, "<desc") ||
			!strings.Contains(body, "按时办结率 = ") {
			t.Fatalf("dashboard: %d\n%s", code, body)
		}
		code, body = fw.get(t, sup, "/api/v1/hotline/figures?month=2026-10&by=region")
		if code != http.StatusOK || !strings.Contains(body, `"990103"`) {
			t.Errorf("figures API: %d %s", code, body)
		}
		if code, _ := fw.get(t, fw.client(t, "han"), "/hotline/figures"); code != http.StatusForbidden {
			t.Errorf("handler on the dashboard: %d", code)
		}

		req, _ := http.NewRequest("GET", fw.srv.URL+"/hotline/figures/export.xlsx?month=2026-10", nil)
		resp, err := sup.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("export is not a zip: %v (%d %s)", err, resp.StatusCode, raw[:min(200, len(raw))])
		}
		var all strings.Builder
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(&all, rc)
			rc.Close()
		}
		for _, want := range []string{"临江区市场监督管理局", "临江区城市管理局", "临江区", "响应率 Response", "在签收时限内签收的工单数"} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("export lacks %q", want)
			}
		}
	})
}

// The public ranking leaves out of the places a department with fewer
// orders than the minimum sample (configuration; default 5), shown as
// 样本不足, and shows the last complete month by default.
func TestRankingSampleAndDefaultMonth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fw := buildFigures(t, db) // October 2026: deptA 5 orders, deptB 2
		ctx := context.Background()
		oct := must(hotline.ParseMonth("2026-10"))
		rk := must(fw.m.Ranking(ctx, oct, hotline.DefaultWeights()))
		if rk.MinSample != 5 || len(rk.Rows) != 2 || rk.Rows[0].Rank != 1 || rk.Rows[1].Rank != 0 || !rk.Rows[1].SmallSample {
			t.Fatalf("ranking: %+v", rk)
		}
		fw.at(time.Date(2026, 11, 5, 9, 0, 0, 0, cstZone))
		anon := &http.Client{}
		code, body := fw.get(t, anon, "/hotline/ranking")
		if code != http.StatusOK || !strings.Contains(body, "2026-10") || !strings.Contains(body, "样本不足") ||
			!strings.Contains(body, "得分相同的并列同一名次") {
			t.Errorf("default month and rule: %d\n%s", code, body)
		}
		if _, err := hotline.New(hotline.Deps{DB: db, Flow: fw.eng, Org: &org.Service{}, Policy: auth.NewPolicy(), Audit: &audit.Log{},
			Box: &pii.Box{}, Config: hotline.Config{RankingMinSample: -1}}); err == nil {
			t.Error("a negative minimum sample was accepted")
		}
	})
}

// A city may set the minimum sample: at 1 both departments are ranked.
func TestRankingMinSampleOverride(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{RankingMinSample: 1})
		ctx := context.Background()
		rk := must(w.m.Ranking(ctx, must(hotline.ParseMonth("2026-10")), hotline.DefaultWeights()))
		if rk.MinSample != 1 {
			t.Errorf("min sample %d", rk.MinSample)
		}
	})
}
