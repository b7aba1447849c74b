package hotline_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestFreeTextMaskedForOtherStaff: personal numbers typed into an order's
// text are shown in full to the operator who took the call, masked to every
// other member of staff, in the service, the order page, the lists and the
// API, and in the history's comments.
func TestFreeTextMaskedForOtherStaff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		n := complaint("13800001111")
		n.Content = "摊主身份证990103199001011233，他的电话13912345678，江滨路占道经营"
		n.Title = "身份证990103199001011233的摊主占道"
		o := w.intake(n)
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		must(w.m.Reply(ctx, w.a("hb"), o.ID, "已联系13912345678，摊位已清理"))
		const id, phone = "990103199001011233", "13912345678"
		full := func(s string) bool { return strings.Contains(s, id) && strings.Contains(s, phone) }
		clean := func(s string) bool { return !strings.Contains(s, id) && !strings.Contains(s, phone) }

		if got := must(w.m.Get(ctx, w.a("op"), o.ID)); !full(got.Content) {
			t.Errorf("the operator who took the call sees %q", got.Content)
		}
		for _, who := range []string{"op2", "disp", "hb", "sup"} {
			got := must(w.m.Get(ctx, w.a(who), o.ID))
			if !clean(got.Content+got.Title+got.ReplyText) || !strings.Contains(got.Content, "990***********1233") {
				t.Errorf("%s sees %q / %q", who, got.Content, got.ReplyText)
			}
			hs := must(w.m.History(ctx, w.a(who), o.ID))
			for _, h := range hs {
				if !clean(h.Comment) {
					t.Errorf("%s sees the history comment %q", who, h.Comment)
				}
			}
			list, _ := must2(w.m.List(ctx, w.a(who), hotline.Filter{}))
			for _, x := range list {
				if !clean(x.Content + x.Title + x.ReplyText) {
					t.Errorf("%s lists %q", who, x.Content)
				}
			}
		}
		// The workflow's title, shown in work lists and supervision.
		in := must(w.eng.Instance(ctx, o.InstanceID))
		if !clean(in.Title) {
			t.Errorf("the workflow instance is titled %q", in.Title)
		}
		sid := strconv.FormatInt(o.ID, 10)
		for _, user := range []string{"op2", "hbn", "disp"} {
			c := w.client(t, user)
			for _, path := range []string{"/hotline/orders/" + sid, "/api/v1/hotline/orders/" + sid, "/api/v1/hotline/orders"} {
				code, body := w.get(t, c, path)
				if code != 200 || !clean(body) {
					t.Errorf("%s GET %s: %d, shows the numbers: %v", user, path, code, !clean(body))
				}
			}
		}
		c := w.client(t, "opr")
		if code, body := w.get(t, c, "/hotline/orders/"+sid); code != 200 || !full(body) {
			t.Errorf("the operator's page: %d, full text %v", code, full(body))
		}
	})
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

// TestCallerMustBeCitizenOrEnterprise: an operator may file an order for a
// citizen's account, never for a missing account or a member of staff.
func TestCallerMustBeCitizenOrEnterprise(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		before := count(t, db, "hotline_orders")
		body := func(caller int64) map[string]any {
			return map[string]any{"channel": "phone", "type": "help", "category_code": "010402",
				"content": "路灯坏了三天", "caller_phone": "13800005555", "region_code": "990102",
				"address": "临江区江滨路1号", "caller_user_id": caller}
		}
		for name, id := range map[string]int64{"nobody": 999999, "negative": -1, "supervisor": w.a("sup").UserID,
			"handler": w.a("hb").UserID} {
			code, resp := w.api(t, "opr", "POST", "/api/v1/hotline/orders", body(id))
			if code != 422 || !strings.Contains(resp, "caller_user_id") {
				t.Errorf("caller %s: %d %s", name, code, resp)
			}
		}
		if n := count(t, db, "hotline_orders"); n != before {
			t.Errorf("%d orders stored after refusals", n-before)
		}
		code, resp := w.api(t, "opr", "POST", "/api/v1/hotline/orders", body(w.a("cit1").UserID))
		if code/100 != 2 {
			t.Errorf("caller citizen: %d %s", code, resp)
		}
	})
}
