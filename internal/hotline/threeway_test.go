package hotline_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The three-way call with 110 (国办发〔2022〕12号: "unclear ones by a
// three-way call, then agreement; if still undecided the platform that
// took the call first handles it. Danger to life or property always goes
// to 110"): recorded on the order with its outcome, acted on.
func TestThreeWayCallWith110(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		call := func(o *hotline.Order, out hotline.ThreeWayOutcome) *hotline.Order {
			return must(w.m.RecordThreeWayCall(ctx, w.a("op"), o.ID, hotline.ThreeWayInput{Outcome: out, PoliceRef: "110-20261204-0042", Note: "三方通话确认"}))
		}
		// Agreed: 110 handles it. The order is transferred.
		if got := call(w.intake(complaint("13800001111")), hotline.ThreeWayTo110); got.Status != hotline.StatusTransferred || got.ThreeWayOutcome != hotline.ThreeWayTo110 {
			t.Errorf("to_110: status %s, outcome %s; want transferred", got.Status, got.ThreeWayOutcome)
		}
		// Agreed: 12345 handles it. It waits for dispatch, the outcome kept.
		o := w.intake(complaint("13800002222"))
		if got := call(o, hotline.ThreeWayHotline); got.Status != hotline.StatusNew || got.ThreeWayRef != "110-20261204-0042" || got.ThreeWayAt.IsZero() {
			t.Errorf("hotline: status %s, ref %q; want new, the 110 number kept", got.Status, got.ThreeWayRef)
		}
		_, body := w.get(t, w.client(t, "disp"), "/hotline/orders/"+strconv.FormatInt(o.ID, 10))
		if !strings.Contains(body, "约定由12345办理") || !strings.Contains(body, "与110三方通话") {
			t.Error("order page does not show the three-way call")
		}
		// Undecided: the platform that took the call first (12345) keeps it …
		if got := call(w.intake(complaint("13800003333")), hotline.ThreeWayUndecided); got.Status != hotline.StatusNew {
			t.Errorf("undecided: status %s, want new (首接负责)", got.Status)
		}
		// … unless life or property is in danger: then 110.
		u := complaint("13800004444")
		u.Urgent = true
		if got := call(w.intake(u), hotline.ThreeWayUndecided); got.Status != hotline.StatusTransferred {
			t.Errorf("undecided urgent: status %s, want transferred to 110", got.Status)
		}
		if auditCount(t, db, "hotline.three_way_call", o.Number) != 1 {
			t.Error("no audit entry of the call")
		}
		// Bad input, the wrong people and the wrong state are refused.
		n := w.intake(complaint("13800005555"))
		for _, bad := range []hotline.ThreeWayInput{{Outcome: "maybe", Note: "x"}, {Outcome: hotline.ThreeWayHotline},
			{Outcome: hotline.ThreeWayHotline, Note: "x", PoliceRef: strings.Repeat("1", 65)}} {
			if _, err := w.m.RecordThreeWayCall(ctx, w.a("op"), n.ID, bad); !errors.Is(err, hotline.ErrInvalid) {
				t.Errorf("%+v: %v, want ErrInvalid", bad, err)
			}
		}
		for _, who := range []string{"ha", "sup", "cit1"} {
			if _, err := w.m.RecordThreeWayCall(ctx, w.a(who), n.ID, hotline.ThreeWayInput{Outcome: hotline.ThreeWayHotline, Note: "x"}); !errors.Is(err, auth.ErrForbidden) {
				t.Errorf("%s: %v, want forbidden", who, err)
			}
		}
		must(w.m.Dispatch(ctx, w.a("disp"), n.ID, hotline.DispatchInput{Lead: w.deptA}))
		if _, err := w.m.RecordThreeWayCall(ctx, w.a("op"), n.ID, hotline.ThreeWayInput{Outcome: hotline.ThreeWayHotline, Note: "x"}); !errors.Is(err, hotline.ErrState) {
			t.Errorf("a call on a dispatched order: %v, want ErrState", err)
		}
		// Through the page and the API.
		p := w.intake(complaint("13800006666"))
		path := "/hotline/orders/" + strconv.FormatInt(p.ID, 10) + "/three_way_call"
		if code, _ := w.postForm(t, w.client(t, "opr"), path, url.Values{"outcome": {"nobody"}, "note": {"x"}}); code != http.StatusUnprocessableEntity {
			t.Errorf("page with a bad outcome: %d, want 422", code)
		}
		if code, _ := w.postForm(t, w.client(t, "opr"), path, url.Values{"outcome": {"hotline"}, "note": {"约定由12345办理"}}); code != http.StatusSeeOther {
			t.Errorf("page: %d, want 303", code)
		}
		api := "/api/v1/hotline/orders/" + strconv.FormatInt(p.ID, 10) + "/three-way-call"
		if code, _ := w.api(t, "disp", "POST", api, map[string]any{"outcome": "to_110", "note": ""}); code != http.StatusUnprocessableEntity {
			t.Errorf("API without a note: %d, want 422", code)
		}
		if code, body := w.api(t, "disp", "POST", api, map[string]any{"outcome": "to_110", "note": "警情，110处置"}); code != 200 || !strings.Contains(body, `"status":"transferred"`) {
			t.Errorf("API to_110: %d %s", code, body)
		}
	})
}
