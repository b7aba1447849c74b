package hotline_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// refusedTwice takes in a complaint on Friday 2026-12-04 10:00 CST,
// dispatches it to department A, which sends it back, then to B, which
// sends it back too.
func (w *world) refusedTwice() *hotline.Order {
	w.t.Helper()
	ctx := context.Background()
	w.set(time.Date(2026, 12, 4, 10, 0, 0, 0, cstZone))
	o := w.intake(complaint("13800001111"))
	must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
	must(w.m.SendBackWith(ctx, w.a("ha"), o.ID, hotline.SendBackInput{Code: "not_our_duty", Suggest: w.deptB}))
	must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
	must(w.m.SendBackWith(ctx, w.a("hb"), o.ID, hotline.SendBackInput{Code: "not_our_duty", Suggest: w.deptA}))
	return o
}

func auditCount(t *testing.T, db *store.DB, action, number string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?", action, number).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// 管辖争议 (hotline-12345.md: the first unit to receive an order is
// responsible, 首接负责): an order sent back by two departments goes to the
// centre, which decides the owning department within 1 working day
// (hotline.json "dispute_days"). Sent back on Friday 2026-12-04, the
// decision is due by the close of Monday 2026-12-07.
func TestTwoRefusalsMakeADisputeTheCentreDecides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		// One department refusing, even twice, is no dispute.
		w.set(time.Date(2026, 12, 4, 9, 0, 0, 0, cstZone))
		one := w.intake(complaint("13900009999"))
		for range 2 {
			must(w.m.Dispatch(ctx, w.a("disp"), one.ID, hotline.DispatchInput{Lead: w.deptA}))
			must(w.m.SendBack(ctx, w.a("ha"), one.ID, "不属本部门职责"))
		}
		if d := must(w.m.OrderDispute(ctx, w.a("disp"), one.ID)); d != nil {
			t.Fatalf("one department's refusals opened a dispute: %+v", d)
		}

		o := w.refusedTwice()
		d := must(w.m.OrderDispute(ctx, w.a("disp"), o.ID))
		if d == nil || !d.Open() || d.FirstDept != w.deptA || len(d.Departments) != 2 || cst(d.DueAt) != "2026-12-07 23:59" {
			t.Fatalf("dispute %+v; want open, first received by A, refused by A and B, due 2026-12-07 23:59", d)
		}
		if got := must(w.m.Get(ctx, w.a("disp"), o.ID)); got.FirstDept != w.deptA {
			t.Errorf("first department %d, want A (%d)", got.FirstDept, w.deptA)
		}
		if auditCount(t, db, "hotline.dispute_open", o.Number) != 1 {
			t.Error("no audit entry for the dispute")
		}
		// The centre's queue lists it; a handler has no such queue.
		if ds := must(w.m.Disputes(ctx, w.a("disp"))); len(ds) != 1 || ds[0].OrderID != o.ID {
			t.Errorf("dispatcher's disputes %+v, want the order", ds)
		}
		if _, err := w.m.Disputes(ctx, w.a("hb")); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("handler's disputes: %v, want forbidden", err)
		}
		if code, body := w.get(t, w.client(t, "disp"), "/hotline/disputes"); code != 200 || !strings.Contains(body, o.Number) || !strings.Contains(body, "临江区市场监督管理局") {
			t.Errorf("disputes page: %d, without the order or its first department", code)
		}
		if code, _ := w.get(t, w.client(t, "hbn"), "/hotline/disputes"); code != http.StatusForbidden {
			t.Errorf("disputes page for a handler: %d, want 403", code)
		}
		// A plain dispatch is refused: the centre decides.
		if _, err := w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}); !errors.Is(err, hotline.ErrDisputeOpen) {
			t.Errorf("plain dispatch of a disputed order: %v, want ErrDisputeOpen", err)
		}
		// Only the centre's staff decide, and only with a department and reasons.
		for _, who := range []string{"ha", "sup", "cit1"} {
			if _, err := w.m.DecideJurisdiction(ctx, w.a(who), o.ID, hotline.DecideInput{Department: w.deptA, Reason: "职责在我"}); err == nil {
				t.Errorf("%s decided the dispute", who)
			}
		}
		for _, bad := range []hotline.DecideInput{{Reason: "x"}, {Department: w.deptA}, {Department: 987654, Reason: "x"},
			{Department: w.deptA, Reason: strings.Repeat("理", 1001)}} {
			if _, err := w.m.DecideJurisdiction(ctx, w.a("disp"), o.ID, bad); !errors.Is(err, hotline.ErrInvalid) {
				t.Errorf("decision %+v: %v, want ErrInvalid", bad, err)
			}
		}
		id := strconv.FormatInt(o.ID, 10)
		if code, _ := w.postForm(t, w.client(t, "disp"), "/hotline/orders/"+id+"/decide_jurisdiction", url.Values{"department": {"x"}, "reason": {"依职责"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("page decision without a department: %d, want 422", code)
		}
		if code, _ := w.postForm(t, w.client(t, "disp"), "/hotline/orders/"+id+"/decide_jurisdiction", url.Values{"department": {strconv.FormatInt(w.deptA, 10)}, "reason": {"依\x07职责"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("page decision with a control character: %d, want 422", code)
		}
		if !must(w.m.OrderDispute(ctx, w.a("disp"), o.ID)).Open() {
			t.Fatal("a refused decision was stored")
		}
		// The order page offers the decision, not a plain dispatch.
		_, body := w.get(t, w.client(t, "disp"), "/hotline/orders/"+id)
		if !strings.Contains(body, "decide_jurisdiction") || strings.Contains(body, `action="/hotline/orders/`+id+`/dispatch"`) {
			t.Error("order page of a disputed order: want the decision form and no dispatch form")
		}
		if strings.Contains(body, "签收期限") {
			t.Error("order page of a sent-back order shows the old sign-for deadline")
		}
		// The dispatcher decides on Monday: A, the first-receiving department.
		w.set(time.Date(2026, 12, 7, 9, 0, 0, 0, cstZone))
		code, _ := w.postForm(t, w.client(t, "disp"), "/hotline/orders/"+id+"/decide_jurisdiction",
			url.Values{"department": {strconv.FormatInt(w.deptA, 10)}, "reason": {"占道经营属市场监管职责，首接负责"}})
		if code != http.StatusSeeOther {
			t.Fatalf("decision through the page: %d", code)
		}
		got := must(w.m.Get(ctx, w.a("disp"), o.ID))
		d = must(w.m.OrderDispute(ctx, w.a("disp"), o.ID))
		if got.Status != hotline.StatusDispatched || got.LeadDept != w.deptA || d.Open() || d.DecidedDept != w.deptA {
			t.Errorf("after the decision: status %s, lead %d, dispute %+v; want dispatched to A, decided", got.Status, got.LeadDept, d)
		}
		if auditCount(t, db, "hotline.dispute_decide", o.Number) != 1 {
			t.Error("no audit entry for the decision")
		}
		// The decided department may not send it back.
		if _, err := w.m.SendBack(ctx, w.a("ha"), o.ID, "仍不属本部门"); !errors.Is(err, hotline.ErrDecided) {
			t.Errorf("send-back after the decision: %v, want ErrDecided", err)
		}
		if len(must(w.m.Disputes(ctx, w.a("disp")))) != 0 {
			t.Error("a decided dispute is still listed")
		}
		// Nothing left to decide: 409 through the API.
		if code, _ := w.api(t, "disp", "POST", "/api/v1/hotline/orders/"+id+"/jurisdiction", map[string]any{"department_id": w.deptB, "reason": "改派"}); code != http.StatusConflict {
			t.Errorf("API decision without an open dispute: %d, want 409", code)
		}
	})
}

// Through the API: the centre lists and decides; a bad body is 422.
func TestDisputeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		o := w.refusedTwice()
		id := strconv.FormatInt(o.ID, 10)
		if code, body := w.api(t, "disp", "GET", "/api/v1/hotline/disputes", nil); code != 200 || !strings.Contains(body, o.Number) {
			t.Errorf("GET disputes: %d %s", code, body)
		}
		if code, _ := w.api(t, "hbn", "GET", "/api/v1/hotline/disputes", nil); code != http.StatusForbidden {
			t.Errorf("GET disputes as a handler: %d, want 403", code)
		}
		if code, _ := w.api(t, "disp", "POST", "/api/v1/hotline/orders/"+id+"/jurisdiction", map[string]any{"department_id": 0, "reason": "x"}); code != http.StatusUnprocessableEntity {
			t.Errorf("decision without a department: %d, want 422", code)
		}
		if code, _ := w.api(t, "hbn", "POST", "/api/v1/hotline/orders/"+id+"/jurisdiction", map[string]any{"department_id": w.deptB, "reason": "x"}); code != http.StatusForbidden && code != http.StatusNotFound {
			t.Errorf("decision by a handler: %d, want 403 or 404", code)
		}
		code, body := w.api(t, "opr", "POST", "/api/v1/hotline/orders/"+id+"/jurisdiction", map[string]any{"department_id": w.deptB, "reason": "属城管职责"})
		if code != 200 || !strings.Contains(body, `"status":"dispatched"`) {
			t.Errorf("operator's decision: %d %s", code, body)
		}
	})
}
