package hotline_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// TestPagesWholePath drives the core path through the pages, as people
// would: the operator's intake form (with the duplicate check), the
// dispatcher's form, the department's sign-for and reply, closure, and the
// citizen's return-visit link without signing in.
func TestPagesWholePath(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		op, disp, hb := w.client(t, "opr"), w.client(t, "disp"), w.client(t, "hbn")
		if code, body := w.get(t, op, "/hotline/intake"); code != 200 || !strings.Contains(body, "占道经营") {
			t.Fatalf("intake page: %d", code)
		}
		form := url.Values{"channel": {"phone"}, "type": {"complaint"}, "category_code": {"010101"},
			"content": {"江滨路夜市占道经营严重，行人无法通行"}, "caller_phone": {"13800001111"},
			"region_code": {"990102"}, "address": {"临江区江滨路88号"}}
		// A bad field: 422 with the message, nothing stored.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("caller_phone", "12")
		if code, body := w.postForm(t, op, "/hotline/intake", bad); code != 422 || !strings.Contains(body, "联系电话格式不正确") {
			t.Errorf("bad phone: %d", code)
		}
		if n := count(t, db, "hotline_orders"); n != 0 {
			t.Fatalf("%d orders after a refused form", n)
		}
		// The check shows suggestions without storing.
		check := url.Values{"check": {"1"}}
		for k, v := range form {
			check[k] = v
		}
		if code, _ := w.postForm(t, op, "/hotline/intake", check); code != 200 || count(t, db, "hotline_orders") != 0 {
			t.Errorf("check: %d", code)
		}
		code, _ := w.postForm(t, op, "/hotline/intake", form)
		if code != 303 {
			t.Fatalf("submit: %d", code)
		}
		list, _, err := w.m.List(ctx, w.a("op"), hotline.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d orders", len(list))
		}
		o := list[0]
		path := "/hotline/orders/" + strconv.FormatInt(o.ID, 10)
		if _, body := w.get(t, disp, "/hotline/dispatch"); !strings.Contains(body, o.Number) {
			t.Error("dispatch queue misses the order")
		}
		if code, _ := w.postForm(t, disp, path+"/dispatch", url.Values{"lead": {strconv.FormatInt(w.deptB, 10)}}); code != 303 {
			t.Fatalf("dispatch: %d", code)
		}
		if _, body := w.get(t, hb, "/hotline/handling"); !strings.Contains(body, o.Number) || strings.Contains(body, "13800001111") {
			t.Error("handling queue misses the order or shows the phone")
		}
		if code, _ := w.postForm(t, hb, path+"/sign", nil); code != 303 {
			t.Fatalf("sign: %d", code)
		}
		if code, _ := w.postForm(t, hb, path+"/reply", url.Values{"reply": {""}}); code != 422 {
			t.Errorf("empty reply: %d", code)
		}
		if code, _ := w.postForm(t, hb, path+"/reply", url.Values{"reply": {"已清理。"}}); code != 303 {
			t.Fatalf("reply: %d", code)
		}
		if code, _ := w.postForm(t, disp, path+"/close", nil); code != 303 {
			t.Fatalf("close: %d", code)
		}
		_, body := w.get(t, op, path)
		link := regexp.MustCompile(`/hotline/visit/[0-9a-z.]+`).FindString(body)
		if link == "" {
			t.Fatal("no visit link on the operator's page")
		}
		anon := w.srv.Client()
		if code, body := w.get(t, anon, link); code != 200 || !strings.Contains(body, "已清理") || strings.Contains(body, "1111") {
			t.Errorf("visit link page: %d", code)
		}
		if code, _ := w.get(t, anon, link[:len(link)-1]+"x"); code != 404 {
			t.Errorf("forged link: %d", code)
		}
		if code, _ := w.postForm(t, anon, link, url.Values{"solved": {"1"}, "satisfaction": {"satisfied"}}); code != 200 {
			t.Fatalf("visit by link: %d", code)
		}
		if got := must(w.m.Get(ctx, w.a("op"), o.ID)); got.Status != hotline.StatusVisited || got.VisitSatisfaction != hotline.Satisfied {
			t.Errorf("after the citizen's visit: %s %s", got.Status, got.VisitSatisfaction)
		}
		if code, body := w.get(t, w.client(t, "sup"), "/hotline/overdue"); code != 200 || strings.Contains(body, o.Number) {
			t.Errorf("overdue view: %d", code)
		}
	})
}

func TestSeedDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		depts := map[string]int64{"LJ-SCJG": w.deptA, "LJ-CGJ": w.deptB}
		// The demo's other departments, as demo.Seed would have made them.
		for _, code := range []string{"YL-ZWFW", "YL-ZJ", "YL-WJW", "YL-SHJ", "LJ-ZWZX", "QS-ZWZX", "QS-SCJG", "QS-CGJ", "XG-ZWZX", "XG-SCJG"} {
			var id int64
			err := db.QueryRowContext(ctx, `INSERT INTO departments (code, name, name_en, region_code, active, created_at, updated_at)
				VALUES (?, ?, '', '990102', TRUE, ?, ?) RETURNING id`, code, code, w.now, w.now).Scan(&id)
			if err != nil {
				t.Fatal(err)
			}
			depts[code] = id
		}
		users := map[string]int64{"operator": w.a("op").UserID, "dispatcher": w.a("disp").UserID}
		if err := hotline.SeedDemo(ctx, w.m, depts, users, w.now, 60); err != nil {
			t.Fatal(err)
		}
		var visited, open int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_orders WHERE status = 'visited'").Scan(&visited)
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_orders WHERE status IN ('new', 'dispatched', 'handling', 'replied', 'closed')").Scan(&open)
		// 40 open in every state, the staff's day (a co-handled order
		// with its part, a pending extension and a sent-back order) and the
		// centre's (a dispute, a water cut, a visit with failed calls).
		if visited != 60 || open != 46 {
			t.Errorf("visited %d (want 60), open %d (want 46)", visited, open)
		}
		if n := count(t, db, "hotline_contributions"); n != 1 {
			t.Errorf("%d demo contributions", n)
		}
		if items, _, err := w.m.PendingExtensions(ctx, w.a("disp"), store.Cursor{}, 20); err != nil || len(items) != 1 {
			t.Errorf("demo extension queue %d, %v", len(items), err)
		}
		var back int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM hotline_orders WHERE status = 'new' AND sent_back_at IS NOT NULL").Scan(&back)
		if back != 2 {
			t.Errorf("%d sent-back demo orders, want 2 (one in a dispute)", back)
		}
		if ds := must(w.m.Disputes(ctx, w.a("disp"))); len(ds) != 1 || ds[0].FirstDept != w.deptA {
			t.Errorf("demo disputes %+v, want one first received by 市场监管", ds)
		}
		s := must(w.m.Suggest(ctx, "020102", "990102", "超市销售过期牛奶"))
		if len(s) == 0 || s[0].DepartmentID != w.deptA || s[0].Source != "directory" {
			t.Errorf("suggestion after the demo: %+v", s)
		}
	})
}
