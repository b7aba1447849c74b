package hotline_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// addAdmins adds the city's administrator "adm" (region 990100, the top
// of the tree) and a district administrator "dadm" (990102) to w.
func addAdmins(t *testing.T, w *world) {
	t.Helper()
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(w.db, box, w.clock)
	orgs.Password = auth.TestPasswordParams
	err := w.db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, u := range []org.NewUser{
			{Username: "adm", DisplayName: "市管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"},
			{Username: "dadm", DisplayName: "区管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990102"},
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
}

// audits counts the audit entries of action.
func audits(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCategoryPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		addAdmins(t, w)
		ctx := context.Background()
		adm, dadm, disp, op := w.client(t, "adm"), w.client(t, "dadm"), w.client(t, "disp"), w.client(t, "opr")

		for _, c := range []struct {
			who  string
			c    *http.Client
			want int
		}{{"city admin", adm, 200}, {"district admin", dadm, 200}, {"dispatcher", disp, 200}, {"operator", op, 403}} {
			if code, body := w.get(t, c.c, "/hotline/categories"); code != c.want || (code == 200 && !strings.Contains(body, "占道经营")) {
				t.Errorf("%s views the tree: %d, want %d", c.who, code, c.want)
			}
		}
		if _, body := w.get(t, disp, "/hotline/categories"); strings.Contains(body, `name="parent"`) {
			t.Error("the dispatcher is offered the add form")
		}

		before := count(t, db, "hotline_categories")
		good := url.Values{"parent": {"010100"}, "code": {"010104"}, "name": {"共享单车乱停放"}, "name_en": {"Badly parked shared bikes"}}
		for who, c := range map[string]*http.Client{"dispatcher": disp, "district admin": dadm} {
			if code, _ := w.postForm(t, c, "/hotline/categories", good); code != 403 {
				t.Errorf("%s adds a category: %d, want 403", who, code)
			}
			if code, _ := w.postForm(t, c, "/hotline/categories/010101", url.Values{"action": {"deactivate"}}); code != 403 {
				t.Errorf("%s deactivates a category: %d, want 403", who, code)
			}
		}

		// Bad input: 422, the field named and tied to its input, nothing stored.
		for _, tc := range []struct {
			name, parent, code, cname, field string
		}{
			{"five digits", "010100", "01014", "x", "code"},
			{"letters", "010100", "0101ab", "x", "code"},
			{"another branch's code", "010100", "020104", "x", "code"},
			{"a matter directly under a domain", "010000", "010001", "x", "code"},
			{"a field code under a field", "010100", "010200", "x", "code"},
			{"a code already in use", "010100", "010101", "x", "code"},
			{"a domain code with 00", "", "000000", "x", "code"},
			{"a field code at the top", "", "080100", "x", "code"},
			{"under a matter", "010101", "010101", "x", "parent"},
			{"an unknown parent", "090000", "090100", "x", "parent"},
			{"no name", "010100", "010105", "", "name"},
		} {
			form := url.Values{"parent": {tc.parent}, "code": {tc.code}, "name": {tc.cname}}
			code, body := w.postForm(t, adm, "/hotline/categories", form)
			if code != 422 || !strings.Contains(body, `id="`+tc.field+`-error"`) ||
				!strings.Contains(body, tc.field+`-error"`) || !strings.Contains(body, `aria-invalid="true"`) {
				t.Errorf("%s: %d, want 422 naming %s", tc.name, code, tc.field)
			}
			if n := count(t, db, "hotline_categories"); n != before {
				t.Fatalf("%s: %d categories, want %d", tc.name, n, before)
			}
		}
		if n := audits(t, db, "hotline.save_category"); n != 0 {
			t.Errorf("%d save audits after refusals", n)
		}

		// The city administrator adds a matter; intake offers it at once.
		if code, _ := w.postForm(t, adm, "/hotline/categories", good); code != 303 {
			t.Fatalf("add: %d", code)
		}
		if code, body := w.get(t, adm, "/hotline/categories/010104?ok=added"); code != 200 || !strings.Contains(body, "分类已新增") ||
			!strings.Contains(body, "城乡建设 / 市容环卫 / 共享单车乱停放") {
			t.Errorf("the new category's page: %d", code)
		}
		if _, body := w.get(t, op, "/hotline/intake"); !strings.Contains(body, `value="010104"`) || !strings.Contains(body, "共享单车乱停放") {
			t.Error("intake does not offer the new category")
		}
		n := complaint("13800003333")
		n.CategoryCode = "010104"
		w.intake(n)

		// Rename: a blank name is refused and changes nothing.
		if code, body := w.postForm(t, adm, "/hotline/categories/010104", url.Values{"action": {"rename"}, "name": {" "}}); code != 422 ||
			!strings.Contains(body, `id="name-error"`) {
			t.Errorf("blank rename: %d", code)
		}
		if code, _ := w.postForm(t, adm, "/hotline/categories/010104",
			url.Values{"action": {"rename"}, "name": {"共享单车乱停乱放"}, "name_en": {"Shared bikes"}}); code != 303 {
			t.Errorf("rename: %d", code)
		}
		if c, _ := w.m.Category("010104"); c.Name != "共享单车乱停乱放" || !c.Active {
			t.Errorf("after rename: %+v", c)
		}

		// Search by name and by code.
		if _, body := w.get(t, disp, "/hotline/categories?q="+url.QueryEscape("单车")); !strings.Contains(body, "010104") || strings.Contains(body, "020101") {
			t.Error("search by name")
		}
		if _, body := w.get(t, disp, "/hotline/categories?q=0201"); !strings.Contains(body, "预付卡退费") || strings.Contains(body, "占道经营") {
			t.Error("search by code")
		}

		// Deactivating a field stops intake of all its matters; the order
		// filed before runs on with its category.
		old := w.intake(complaint("13800002222")) // 010101
		if _, body := w.get(t, adm, "/hotline/categories/010100"); !strings.Contains(body, "现有的 2 件在办工单") {
			t.Error("the field's page does not count its 2 open orders")
		}
		if code, _ := w.postForm(t, adm, "/hotline/categories/010100", url.Values{"action": {"deactivate"}}); code != 303 {
			t.Fatalf("deactivate: %d", code)
		}
		for _, code := range []string{"010100", "010101", "010102", "010103", "010104"} {
			if c, _ := w.m.Category(code); c.Active {
				t.Errorf("%s still active", code)
			}
		}
		if c, _ := w.m.Category("010000"); !c.Active {
			t.Error("the domain was deactivated too")
		}
		if _, body := w.get(t, op, "/hotline/intake"); strings.Contains(body, `value="010101"`) || strings.Contains(body, `value="010104"`) ||
			!strings.Contains(body, `value="010201"`) {
			t.Error("intake still offers the deactivated matters, or lost the others")
		}
		if _, err := w.m.Intake(ctx, w.a("op"), complaint("13800004444")); len(hotline.FieldErrors(err)) == 0 ||
			hotline.FieldErrors(err)[0].Name != "category_code" {
			t.Errorf("intake under a deactivated matter: %v", err)
		}
		if o := must(w.m.Get(ctx, w.a("op"), old.ID)); o.CategoryCode != "010101" || o.Status != hotline.StatusNew {
			t.Errorf("the earlier order: %s %s", o.CategoryCode, o.Status)
		}
		if got := w.m.CategoryPath("010101"); got != "城乡建设 / 市容环卫 / 占道经营" {
			t.Errorf("path of a deactivated matter: %q", got)
		}

		// A matter cannot come back while its field is off; the field can.
		if code, body := w.postForm(t, adm, "/hotline/categories/010101", url.Values{"action": {"activate"}}); code != 422 ||
			!strings.Contains(body, `id="active-error"`) {
			t.Errorf("activate under an inactive parent: %d", code)
		}
		for _, code := range []string{"010100", "010101"} {
			if c, _ := w.postForm(t, adm, "/hotline/categories/"+code, url.Values{"action": {"activate"}}); c != 303 {
				t.Errorf("activate %s: %d", code, c)
			}
		}
		if c, _ := w.m.Category("010102"); c.Active {
			t.Error("reactivating the field reactivated its other matters")
		}
		if _, err := w.m.Intake(ctx, w.a("op"), complaint("13800004444")); err != nil {
			t.Errorf("intake after reactivation: %v", err)
		}

		// Every change is in the audit log: add, rename, two activations;
		// the branch's deactivation is one entry.
		if n := audits(t, db, "hotline.save_category"); n != 4 {
			t.Errorf("%d save_category entries, want 4", n)
		}
		if n := audits(t, db, "hotline.deactivate_category"); n != 1 {
			t.Errorf("%d deactivate_category entries, want 1", n)
		}
	})
}

func TestLimitPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		addAdmins(t, w)
		ctx := context.Background()
		adm, dadm, disp, sup, op := w.client(t, "adm"), w.client(t, "dadm"), w.client(t, "disp"), w.client(t, "sup"), w.client(t, "opr")

		// Who may see; only the city administrator is offered the edit.
		for _, c := range []struct {
			who  string
			c    *http.Client
			want int
			edit bool
		}{{"city admin", adm, 200, true}, {"district admin", dadm, 200, false}, {"dispatcher", disp, 200, false},
			{"supervisor", sup, 200, false}, {"operator", op, 403, false}} {
			code, body := w.get(t, c.c, "/hotline/limits")
			if code != c.want {
				t.Errorf("%s views the limits: %d, want %d", c.who, code, c.want)
			}
			if code == 200 && strings.Contains(body, `href="/hotline/limits/complaint"`) != c.edit {
				t.Errorf("%s offered the edit: %v", c.who, !c.edit)
			}
		}
		// Wed 2026-09-30 10:00: 13 working days (over the National Day
		// holiday) end on 2026-10-23, 15 minutes at 10:15.
		_, body := w.get(t, sup, "/hotline/limits")
		for _, want := range []string{"投诉", "13个工作日", "2026-10-23", "15分钟", "2026-09-30 10:15", "政策不落实"} {
			if !strings.Contains(body, want) {
				t.Errorf("the limits page lacks %q", want)
			}
		}

		valid := url.Values{"sign_for_n": {"1"}, "sign_for_unit": {"workdays"}, "urgent_sign_for_n": {"30"},
			"urgent_sign_for_unit": {"minutes"}, "handle_n": {"5"}, "handle_unit": {"workdays"}}
		for who, c := range map[string]*http.Client{"dispatcher": disp, "district admin": dadm, "supervisor": sup} {
			if code, _ := w.postForm(t, c, "/hotline/limits/complaint", valid); code != 403 {
				t.Errorf("%s saves limits: %d, want 403", who, code)
			}
			if code, _ := w.get(t, c, "/hotline/limits/complaint"); code != 403 {
				t.Errorf("%s opens the edit form: %d, want 403", who, code)
			}
		}

		stored := must(w.m.AllLimits(ctx))
		for _, tc := range []struct {
			name, key, value, field string
		}{
			{"zero days", "handle_n", "0", "handle"},
			{"negative", "sign_for_n", "-1", "sign_for"},
			{"not a number", "handle_n", "五", "handle"},
			{"handling in hours", "handle_unit", "hours", "handle"},
			{"handling too long", "handle_n", "61", "handle"},
			{"urgent in working days", "urgent_sign_for_unit", "workdays", "urgent_sign_for"},
			{"urgent over a day", "urgent_sign_for_n", "1441", "urgent_sign_for"},
			{"sign-for in minutes", "sign_for_unit", "minutes", "sign_for"},
			{"unknown unit", "sign_for_unit", "weeks", "sign_for"},
		} {
			form := url.Values{}
			for k, v := range valid {
				form[k] = v
			}
			form.Set(tc.key, tc.value)
			code, body := w.postForm(t, adm, "/hotline/limits/complaint", form)
			if code != 422 || !strings.Contains(body, `id="`+tc.field+`-error"`) || !strings.Contains(body, tc.field+`-hint `+tc.field+`-error"`) {
				t.Errorf("%s: %d, want 422 naming %s", tc.name, code, tc.field)
			}
		}
		// Urgent longer than normal, when both run on the wall clock.
		form := url.Values{}
		for k, v := range valid {
			form[k] = v
		}
		form.Set("sign_for_n", "2")
		form.Set("sign_for_unit", "hours")
		form.Set("urgent_sign_for_n", "3")
		form.Set("urgent_sign_for_unit", "hours")
		if code, body := w.postForm(t, adm, "/hotline/limits/complaint", form); code != 422 || !strings.Contains(body, `id="urgent_sign_for-error"`) {
			t.Errorf("urgent longer than normal: %d", code)
		}
		if code, _ := w.postForm(t, adm, "/hotline/limits/nonsense", valid); code != 404 {
			t.Errorf("unknown type: %d", code)
		}
		if got := must(w.m.AllLimits(ctx)); got[2] != stored[2] {
			t.Errorf("refused forms changed the limits: %+v", got[2])
		}
		if n := audits(t, db, "hotline.set_limits"); n != 0 {
			t.Errorf("%d set_limits entries after refusals", n)
		}

		// An order taken under the old limits, then the change.
		before := w.intake(complaint("13800001111"))
		if code, _ := w.postForm(t, adm, "/hotline/limits/complaint", valid); code != 303 {
			t.Fatalf("save: %d", code)
		}
		l := must(w.m.AllLimits(ctx))[2]
		if l.Type != hotline.TypeComplaint || l.Handle.N != 5 || l.UrgentSignFor.N != 30 {
			t.Fatalf("stored: %+v", l)
		}
		if n := audits(t, db, "hotline.set_limits"); n != 1 {
			t.Errorf("%d set_limits entries, want 1", n)
		}
		if _, body := w.get(t, adm, "/hotline/limits?ok=limits&type=complaint"); !strings.Contains(body, "时限已保存") ||
			!strings.Contains(body, "5个工作日") || !strings.Contains(body, "2026-10-13") {
			t.Error("the page after saving lacks the flash, the new limit or its example")
		}
		after := w.intake(complaint("13900002222"))

		// Both are dispatched and signed for at the same moment: the old
		// order keeps 13 working days, the new one gets 5.
		cal := calendar.New(calendar.Official())
		for _, o := range []*hotline.Order{before, after} {
			must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
			must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		}
		ib, ia := must(w.eng.Instance(ctx, before.InstanceID)), must(w.eng.Instance(ctx, after.InstanceID))
		if !ib.StateDueAt.Equal(cal.AddWorkingDays(w.clock(), 13)) || ib.StateDueAt.In(calendar.CST).Format("2006-01-02") != "2026-10-23" {
			t.Errorf("the earlier order's handling deadline %v, want 2026-10-23", ib.StateDueAt.In(calendar.CST))
		}
		if ia.StateDueAt.In(calendar.CST).Format("2006-01-02") != "2026-10-13" {
			t.Errorf("the new order's handling deadline %v, want 2026-10-13", ia.StateDueAt.In(calendar.CST))
		}
		if ia.DefinitionVersion <= ib.DefinitionVersion {
			t.Errorf("definition versions: new %d, old %d", ia.DefinitionVersion, ib.DefinitionVersion)
		}
	})
}
