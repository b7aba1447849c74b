package casework_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

var citySupervisor = &auth.Actor{UserID: 9200, Name: "督办", Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990100"}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// figureSet makes four applications on Monday 2026-11-02 and decides them:
//
//	sign    instant (秒批), on the spot, 0 days; licence shared
//	food    容缺, decided two working days later, in time; licence shared, one promised
//	citizen decided six working days later: late (promised 3, overall limit 4)
//	food    withdrawn: counted, not decided
func figureSet(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	t0 := w.now
	sign := casework.SubmitInput{ItemCode: itemSign, Form: map[string]string{"area": "6", "location": "滨江路"},
		Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}, {Name: "营业执照", Consent: true}}}
	if app := must(t)(w.m.Submit(ctx, w.a("ent"), sign)); app.Status != casework.StatusApproved {
		t.Fatalf("sign: %s", app.Status)
	}
	in := foodInput()
	in.Materials[3] = casework.MaterialInput{Name: "管理制度", Shortfall: true}
	in.ShortfallDue = "2026-11-06"
	food := must(t)(w.m.Submit(ctx, w.a("ent"), in))
	cit := must(t)(w.m.Submit(ctx, w.a("cit1"), casework.SubmitInput{ItemCode: itemCitizen, Form: map[string]string{"place": "x"},
		Materials: []casework.MaterialInput{{Name: "申请表", File: upload("a.pdf")}}}))
	gone := must(t)(w.m.Submit(ctx, w.a("ent"), foodInput()))
	must(t)(w.m.Withdraw(ctx, w.a("ent"), gone.ID, "不办了"))
	must(t)(w.m.AcceptWithShortfall(ctx, w.a("clerk"), food.ID, "", ""))
	must(t)(w.m.Accept(ctx, w.a("clerk"), cit.ID, ""))
	must(t)(w.m.SupplyShortfall(ctx, w.a("ent"), food.ID, 3, upload("制度.pdf")))
	must(t)(w.m.Pass(ctx, w.a("han"), food.ID, "符合"))
	must(t)(w.m.Pass(ctx, w.a("hbn"), cit.ID, "符合"))
	w.now = t0.Add(48 * time.Hour) // Wednesday: two working days
	must(t)(w.m.Decide(ctx, w.a("apa"), food.ID, casework.Decision{Approve: true, Reason: "准予"}))
	w.now = t0.Add(8 * 24 * time.Hour) // the next Tuesday: six working days
	must(t)(w.m.Decide(ctx, w.a("apb"), cit.ID, casework.Decision{Approve: true, Reason: "准予"}))
}

func TestFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		figureSet(t, w)
		ctx := context.Background()
		fg, err := w.m.Figures(ctx, citySupervisor, casework.FiguresQuery{})
		if err != nil {
			t.Fatal(err)
		}
		tot := fg.Total
		if tot.Applications != 4 || tot.Decided != 3 || tot.OnTheSpot != 1 || tot.OnTime != 2 || tot.Instant != 1 ||
			tot.SavedShared != 3 || tot.SavedShortfall != 1 {
			t.Errorf("total: %+v", tot)
		}
		// The withdrawn food application also used the shared licence: 3.
		if !near(tot.OnTheSpotShare(), 1.0/3) || !near(tot.OnTimeRate(), 2.0/3) || tot.OnTimePercent() != "66.7%" {
			t.Errorf("rates: %v %v", tot.OnTheSpotShare(), tot.OnTimeRate())
		}
		if !near(tot.DaysUsed, (0+2+6)/3.0) || !near(tot.PromisedDays, (0+5+3)/3.0) || !near(tot.LegalDays, (5+20+10)/3.0) {
			t.Errorf("days: used %v promised %v legal %v", tot.DaysUsed, tot.PromisedDays, tot.LegalDays)
		}
		if len(fg.ByDepartment) != 2 || len(fg.ByItem) != 3 || len(fg.ByMonth) != 1 || fg.ByMonth[0].Key != "2026-11" || len(fg.ByPair) != 0 {
			t.Fatalf("groups: %d departments, %d items, months %+v, %d pairs", len(fg.ByDepartment), len(fg.ByItem), fg.ByMonth, len(fg.ByPair))
		}
		for _, r := range fg.ByDepartment {
			want := map[bool][2]int{true: {3, 2}, false: {1, 0}}[r.Key == strconv.FormatInt(w.deptA, 10)]
			if r.Applications != want[0] || r.OnTime != want[1] {
				t.Errorf("department %s: %+v", r.Label, r)
			}
		}
		// A department's staff see their department only; a month
		// without applications is empty.
		fb, err := w.m.Figures(ctx, w.a("hbn"), casework.FiguresQuery{})
		if err != nil || fb.Total.Applications != 1 || fb.Total.OnTime != 0 {
			t.Errorf("department B: %+v %v", fb, err)
		}
		oct := time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC) // 2026-10-01 CST
		if fo, _ := w.m.Figures(ctx, citySupervisor, casework.FiguresQuery{From: oct, To: oct}); fo.Total.Applications != 0 {
			t.Errorf("October: %d", fo.Total.Applications)
		}
		if _, err := w.m.Figures(ctx, w.a("ent"), casework.FiguresQuery{}); err == nil {
			t.Error("an enterprise read the figures")
		}
	})
}

// TestHallPages walks the bundle, cross-region and figures pages over HTTP
// and opens the export.
func TestHallPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		defineBundle(t, w)
		s := serve(t, w)
		ent := s.client(t, "ent")
		if code, body := s.get(t, ent, "/bundles/"+testBundle); code != 200 || !strings.Contains(body, "开店") ||
			!strings.Contains(body, "减少 2 份") {
			t.Fatalf("guide: %d", code)
		}
		code, body := s.get(t, ent, "/bundles/"+testBundle+"/apply")
		if code != 200 || strings.Count(body, `name="f_area"`) != 1 || !strings.Contains(body, `name="consent_1" value="`+strconv.FormatInt(w.licence, 10)) {
			t.Fatalf("apply page: %d", code)
		}
		post := func(fields map[string]string, files map[string][]byte) *http.Response {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for k, v := range fields {
				_ = mw.WriteField(k, v)
			}
			for k, data := range files {
				fw, _ := mw.CreateFormFile(k, k+".pdf")
				_, _ = fw.Write(data)
			}
			mw.Close()
			return s.do(t, ent, "POST", "/bundles/"+testBundle+"/apply", mw.FormDataContentType(), &buf)
		}
		fields := map[string]string{"f_legal_representative": "李娜", "f_area": "8", "f_main_form": "餐饮服务",
			"f_location": "滨江路88号", "consent_1": strconv.FormatInt(w.licence, 10), "shortfall_3": "1",
			"shortfall_due": "2026-11-06"}
		files := map[string][]byte{"file_0": pdf, "file_2": pdf, "file_4": pdf}
		if resp := post(fields, files); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("missing place: %d", resp.StatusCode)
		}
		if n := w.count("casework_applications"); n != 0 {
			t.Fatalf("refused form stored %d", n)
		}
		fields["f_place"] = "门前"
		resp := post(fields, files)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/bundle-applications/") {
			t.Fatalf("submit: %d %s", resp.StatusCode, loc)
		}
		if code, body := s.get(t, ent, strings.TrimSuffix(loc, "?ok=submitted")); code != 200 || !strings.Contains(body, "秒批") ||
			!strings.Contains(body, "办理中") {
			t.Errorf("bundle page: %d", code)
		}
		if code, _ := s.get(t, s.client(t, "cit2"), loc); code != http.StatusNotFound {
			t.Errorf("stranger sees the bundle: %d", code)
		}
		// Figures with charts, and the export opens as a workbook.
		han := s.client(t, "han")
		if code, body := s.get(t, han, "/applications/figures"); code != 200 || !strings.Contains(body, `role="img"`) ||
			!strings.Contains(body, "按时办结率") {
			t.Errorf("figures page: %d", code)
		}
		resp = s.do(t, han, "GET", "/applications/figures?format=xlsx", "", nil)
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil || resp.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("export: %v %s", err, resp.Header.Get("Content-Type"))
		}
		sheets := 0
		for _, f := range zr.File {
			if strings.HasPrefix(f.Name, "xl/worksheets/sheet") {
				sheets++
			}
		}
		if sheets != 5 {
			t.Errorf("export has %d sheets", sheets)
		}
		if code, _ := s.get(t, ent, "/applications/figures"); code != http.StatusForbidden {
			t.Errorf("enterprise figures: %d", code)
		}
		if code, _ := s.get(t, s.client(t, "clerk_qs"), "/cross-region"); code != 200 {
			t.Errorf("cross-region list: %d", code)
		}
	})
}
