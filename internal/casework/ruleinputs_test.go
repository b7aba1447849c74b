package casework_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The inputs an instant-approval rule read are recorded masked on the
// application, in the workflow history and in the audit log, and shown as
// a list of labelled values, never as JSON or with a number in clear.
func TestRuleInputsMasked(t *testing.T) {
	const phone = "13912345678"
	leaky := casework.RuleFunc(func(_ context.Context, _ catalog.ApprovalRule, _ []catalog.FormField, in casework.RuleInput) (casework.RuleOutcome, error) {
		return casework.RuleOutcome{Approve: true, Used: map[string]any{
			"form":   map[string]any{"area": 6.0, "location": "滨江路88号，联系人身份证" + citizenID + "，电话" + phone},
			"credit": map[string]any{"class": "A"}}}, nil
	})
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupWith(t, db, leaky)
		ctx := context.Background()
		app := must(t)(w.m.Submit(ctx, w.a("ent"), casework.SubmitInput{ItemCode: itemSign,
			Form:      map[string]string{"area": "6", "location": "滨江路88号"},
			Materials: []casework.MaterialInput{{Name: "申请书", File: upload("a.pdf")}, {Name: "营业执照", Consent: true}}}))
		if app.Status != casework.StatusApproved {
			t.Fatalf("not approved: %s", app.Status)
		}
		leaks := func(where, s string) {
			if strings.Contains(s, citizenID) || strings.Contains(s, phone) {
				t.Errorf("%s shows a number in clear: %s", where, s)
			}
		}
		leaks("application", app.RuleInputs)
		if !strings.Contains(app.RuleInputs, "139****5678") {
			t.Errorf("phone not masked in place: %s", app.RuleInputs)
		}
		hist, _ := w.eng.History(ctx, app.InstanceID)
		for _, h := range hist {
			for _, v := range h.Inputs {
				leaks("history", v)
			}
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "casework.instant_approve"})
		for _, r := range recs {
			leaks("audit", string(r.Detail))
		}
		var stored string
		db.QueryRow("SELECT rule_inputs FROM casework_applications WHERE id = ?", app.ID).Scan(&stored)
		leaks("table", stored)
		// People read a list by label.
		s := serve(t, w)
		code, body := s.get(t, s.client(t, "ent"), "/applications/"+strconv.FormatInt(app.ID, 10))
		if code != 200 || !strings.Contains(body, "面积：6") || !strings.Contains(body, "信用等级：A") || strings.Contains(body, `&#34;credit&#34;`) {
			i := strings.Index(body, "规则自动判定")
			t.Errorf("application page: %d %s", code, body[max(i-200, 0):min(i+600, len(body))])
		}
		leaks("page", body)
	})
}
