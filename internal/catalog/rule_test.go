package catalog_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// signRule is a rule over food()'s area field.
const signRule = `form.area <= 50.0 && credit.class != "D"`

func fieldError(t *testing.T, err error, path string, says ...string) {
	t.Helper()
	for _, fe := range catalog.FieldErrors(err) {
		if fe.Path == path {
			for _, s := range says {
				if !strings.Contains(fe.Message, s) {
					t.Errorf("%s: %q does not say %q", path, fe.Message, s)
				}
			}
			return
		}
	}
	t.Errorf("err = %v, want a field error on %s", err, path)
}

func TestRuleCheckedOnSave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		a := w.actors["appr_scj"]
		for _, tc := range []struct {
			expr string
			says []string
		}{
			{`form.are <= 10.0`, []string{"第 1 行第 5 列", "“area”", "undefined field 'are'"}},
			{`form.area == "x"`, []string{"第 1 行第 11 列", "类型不匹配"}},
			{`form.area + 1.0`, []string{"type bool"}},
			{`credit.class = "A"`, []string{"语法错误"}},
		} {
			d := w.food()
			d.Rule = &catalog.ApprovalRule{Expr: tc.expr}
			_, err := w.m.Create(ctx, a, d)
			if !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", tc.expr, err)
			}
			fieldError(t, err, "rule.expr", tc.says...)
		}
		if n := count(t, db, "catalog_items"); n != 0 {
			t.Fatalf("%d items stored from bad rules", n)
		}
		d := w.food()
		d.Rule = &catalog.ApprovalRule{Expr: signRule, Examples: []catalog.RuleExample{{Name: "", CreditClass: "E"}}}
		_, err := w.m.Create(ctx, a, d)
		fieldError(t, err, "rule.examples[0].name")
		fieldError(t, err, "rule.examples[0].credit_class")

		d.Rule.Examples = nil
		it, err := w.m.Create(ctx, a, d)
		if err != nil {
			t.Fatal(err)
		}
		// The rule is checked against the fields being saved with it:
		// turning area into text breaks it.
		d = it.Draft
		d.Fields = []catalog.FormField{{Key: "area", Label: "面积", Type: catalog.FieldText}}
		_, err = w.m.Update(ctx, a, it.ID, d, it.RowVersion)
		fieldError(t, err, "rule.expr", "类型不匹配")
		if got, _ := w.m.Working(ctx, a, it.ID); got.Fields[0].Type != catalog.FieldNumber || got.RowVersion != it.RowVersion {
			t.Errorf("refused update stored: %+v", got.Fields)
		}
	})
}

func TestPublishRerunsExamples(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		admin, appr := w.actors["admin"], w.actors["appr_scj"]
		d := w.food()
		d.Rule = &catalog.ApprovalRule{Expr: signRule, Examples: []catalog.RuleExample{
			{Name: "小店", Form: map[string]string{"area": "30"}, CreditClass: "A", Want: true},
			{Name: "失信", Form: map[string]string{"area": "30"}, CreditClass: "D", Want: false},
			{Name: "无信用记录", Form: map[string]string{"area": "30"}, Want: false},
		}}
		it, err := w.m.Create(ctx, appr, d)
		if err != nil {
			t.Fatal(err)
		}
		if it, err = w.m.Publish(ctx, admin, it.ID, 0); err != nil {
			t.Fatal(err)
		}
		if it.Rule.Version != 1 || len(it.Rule.Examples) != 3 {
			t.Fatalf("published rule %+v", it.Rule)
		}
		// Tightening the rule saves, but the first example no longer holds.
		w1, _ := w.m.Working(ctx, appr, it.ID)
		d = w1.Draft
		d.Rule.Expr = `form.area <= 20.0 && credit.class != "D"`
		if _, err := w.m.Update(ctx, appr, it.ID, d, w1.RowVersion); err != nil {
			t.Fatalf("save: %v", err)
		}
		fieldError(t, w.m.Validate(ctx, admin, it.ID), "rule.examples[0]", "小店", "预期自动审批", "实际转人工")
		_, err = w.m.Publish(ctx, admin, it.ID, 0)
		fieldError(t, err, "rule.examples[0]", "小店")
		if vs, _ := w.m.Versions(ctx, admin, it.ID); len(vs) != 1 {
			t.Errorf("%d versions after a refused publish", len(vs))
		}
		// Correcting the example lets it publish, with the rule's new version.
		w2, _ := w.m.Working(ctx, appr, it.ID)
		d = w2.Draft
		d.Rule.Examples[0].Form["area"] = "15"
		if _, err := w.m.Update(ctx, appr, it.ID, d, w2.RowVersion); err != nil {
			t.Fatal(err)
		}
		v2, err := w.m.Publish(ctx, admin, it.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.m.Version(ctx, v2.Code, 2)
		if err != nil || got.Rule.Version != 2 || got.Rule.Examples[0].Form["area"] != "15" {
			t.Errorf("v2 rule %+v, %v", got.Rule, err)
		}
		old, _ := w.m.Version(ctx, v2.Code, 1)
		if old.Rule.Examples[0].Form["area"] != "30" || old.Rule.Expr != signRule {
			t.Errorf("v1 changed: %+v", old.Rule)
		}
		// The application module evaluates the published version's rule.
		prg, err := w.m.CompileRule(got)
		if err != nil {
			t.Fatal(err)
		}
		if prg.Version() != 2 {
			t.Errorf("program version %d", prg.Version())
		}
	})
}

func (w *world) postBody(t *testing.T, c *http.Client, path string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRulePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		appr := w.actors["appr_scj"]
		d := w.food()
		d.Rule = &catalog.ApprovalRule{Expr: signRule}
		it, err := w.m.Create(ctx, appr, d)
		if err != nil {
			t.Fatal(err)
		}
		c := w.client(t, "appr_scj")
		path := "/catalog/manage/" + strconv.FormatInt(it.ID, 10)
		code, body := w.get(t, c, path)
		for _, s := range []string{"秒批规则与试算", "规则检查通过", "form.area", "credit.class", "还没有保存的示例"} {
			if code != 200 || !strings.Contains(body, s) {
				t.Errorf("edit page (%d) lacks %q", code, s)
			}
		}
		try := url.Values{"op": {"try"}, "name": {"小店"}, "f.area": {"30"}, "credit_class": {"A"}, "want": {"approve"}}
		code, body = w.postBody(t, c, path+"/rule", try)
		if code != 200 || !strings.Contains(body, "试算，未保存") || !strings.Contains(body, "<strong>自动审批</strong> ✓") ||
			!strings.Contains(body, "area=30；信用 A") {
			t.Errorf("try (%d): %s", code, excerpt(body, "examples-h"))
		}
		try.Set("credit_class", "D")
		if _, body = w.postBody(t, c, path+"/rule", try); !strings.Contains(body, "<strong>转人工</strong> ✗") ||
			!strings.Contains(body, "规则判定不符合自动审批条件，转人工审核") || strings.Contains(body, "did not approve") {
			t.Errorf("try class D: %s", excerpt(body, "examples-h"))
		}
		try.Set("f.area", "三十")
		if _, body = w.postBody(t, c, path+"/rule", try); !strings.Contains(body, "数据有误") || !strings.Contains(body, "应为数字") {
			t.Errorf("try bad value: %s", excerpt(body, "examples-h"))
		}
		if got, _ := w.m.Working(ctx, appr, it.ID); len(got.Rule.Examples) != 0 || got.RowVersion != it.RowVersion {
			t.Fatalf("trying stored something: %+v", got.Rule)
		}
		// Saving keeps the example with the draft; it is re-run on the page.
		try.Set("f.area", "30")
		try.Set("op", "save")
		try.Set("row_version", strconv.FormatInt(it.RowVersion, 10))
		if code, _ := w.postBody(t, c, path+"/rule", try); code != http.StatusSeeOther {
			t.Fatalf("save example: %d", code)
		}
		got, _ := w.m.Working(ctx, appr, it.ID)
		if len(got.Rule.Examples) != 1 || got.Rule.Examples[0].CreditClass != "D" || !got.Rule.Examples[0].Want {
			t.Fatalf("saved %+v", got.Rule.Examples)
		}
		// It expects approval of a class-D applicant, so publishing is refused.
		_, body = w.get(t, c, path)
		if !strings.Contains(body, "rule.examples[0]") {
			t.Errorf("edit page does not say the example blocks publishing: %s", excerpt(body, "pub-h"))
		}
		code, _ = w.postBody(t, w.client(t, "admin"), path+"/publish", url.Values{})
		if code != http.StatusUnprocessableEntity {
			t.Errorf("publish with a failing example: %d", code)
		}
		if code, _ := w.postBody(t, c, path+"/rule", url.Values{"op": {"delete"}, "n": {"0"}}); code != http.StatusSeeOther {
			t.Errorf("delete example: %d", code)
		}
		if got, _ := w.m.Working(ctx, appr, it.ID); len(got.Rule.Examples) != 0 {
			t.Errorf("example not deleted: %+v", got.Rule.Examples)
		}
		// A bad rule typed into the page is refused with its position.
		form := url.Values{}
		for k, v := range map[string]string{"code": it.Code, "name": it.Name, "department_id": strconv.FormatInt(it.DepartmentID, 10),
			"type": string(it.Type), "legal_limit_days": "20", "promised_limit_days": "5", "rule_expr": "form.capitl > 1"} {
			form.Set(k, v)
		}
		code, body = w.postBody(t, c, path, form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "rule.expr") || !strings.Contains(body, "第 1 行第 5 列") {
			t.Errorf("bad rule (%d): %s", code, excerpt(body, "alert"))
		}
		// Someone outside the department cannot try the item's rule.
		if code, _ := w.postBody(t, w.client(t, "appr_cgj"), path+"/rule", url.Values{"op": {"try"}}); code != http.StatusNotFound {
			t.Errorf("other department tried the rule: %d", code)
		}
	})
}

// excerpt returns some of body after marker, for failure messages.
func excerpt(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		i = 0
	}
	return body[i:min(len(body), i+3000)]
}
