package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/warning"
)

// Early warnings are cases in their department's inbox with the rule's
// working-day limit: the market regulator's handler finds the demo's
// warnings on /work, opens one, verifies and confirms it with a note, and
// it leaves the inbox; other counties' and departments' staff get 404. The
// department is told of each warning and the business of each risk
// prompt; the figures count what was raised, handled and confirmed.
func TestWarningsReachTheInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := WithDB(ctx, db, Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for {
			n, err := a.Outbox.RunOnce(ctx, 500)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		actor := func(name string) *auth.Actor {
			u, err := a.Org.GetUser(ctx, seeded.Users[name])
			if err != nil {
				t.Fatal(err)
			}
			return &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
				DepartmentIDs: u.DepartmentIDs, USCC: u.USCC}
		}
		officer := actor("handler_scj")
		ws, err := a.Warnings.List(ctx, officer, warning.Filter{Status: warning.StatusOpen})
		if err != nil || len(ws) == 0 {
			t.Fatalf("the market regulator's open warnings: %d %v", len(ws), err)
		}
		inbox := func(who *auth.Actor) map[int64]flow.InboxItem {
			t.Helper()
			items, _, err := a.Flow.Inbox(ctx, a.DB, who, flow.InboxQuery{SubjectType: warning.SubjectType, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]flow.InboxItem{}
			for _, it := range items {
				out[it.SubjectID] = it
			}
			return out
		}
		mine := inbox(officer)
		for _, w := range ws {
			it, ok := mine[w.ID]
			if !ok {
				t.Fatalf("warning %d (%s) is not in the handler's inbox", w.ID, w.RuleID)
			}
			r := a.Warnings.Rules().Rule(w.RuleID)
			if it.DefinitionKey != warning.FlowKey(w.RuleID) || !it.HasDue {
				t.Errorf("warning %d: case %s, due %v", w.ID, it.DefinitionKey, it.HasDue)
			}
			// The case's limit is the rule's working days from the day raised.
			if got := it.DueAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02"); got != w.DueOn {
				t.Errorf("warning %d (%s, %d working days): case due %s, warning due %s", w.ID, w.RuleID, r.LimitWorkingDays, got, w.DueOn)
			}
		}
		if other := inbox(actor("handler_qs")); len(other) != 0 {
			for id := range mine {
				if _, ok := other[id]; ok {
					t.Fatalf("another county's handler sees the market regulator's warning %d", id)
				}
			}
		}

		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		get := func(user, path string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			token, _, err := a.Auth.SignIn(ctx, user, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: "ys_session", Value: token})
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		w := ws[0]
		page := "/warnings/" + strconv.FormatInt(w.ID, 10)
		if st, body := get("handler_scj", "/work"); st != 200 || !strings.Contains(body, `href="`+page+`"`) {
			t.Fatalf("/work: %d, link to %s: %v", st, page, strings.Contains(body, page))
		}
		if st, _ := get("handler_scj", page); st != 200 {
			t.Fatalf("%s as the department's handler: %d", page, st)
		}
		caseID := mine[w.ID].ID
		for _, user := range []string{"handler_qs", "inspector_cgj", "zhangsan"} {
			for _, p := range []string{page, "/cases/" + strconv.FormatInt(caseID, 10), "/api/v1/cases/" + strconv.FormatInt(caseID, 10)} {
				if st, _ := get(user, p); st != 404 {
					t.Errorf("%s as %s: %d, want 404", p, user, st)
				}
			}
		}

		// The department was told, with the limit; the business got its risk prompts.
		msgs, _, err := a.Notify.List(ctx, officer, notify.Query{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		told := false
		for _, m := range msgs {
			if m.Topic == notify.TopicWarningRaised && m.Link == page && strings.Contains(m.Body, w.DueOn) {
				told = true
			}
		}
		if !told {
			t.Errorf("no message to the department about warning %d", w.ID)
		}
		biz := actor("yunlan_food")
		prompts, err := a.Warnings.List(ctx, biz, warning.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		bmsgs, _, err := a.Notify.List(ctx, biz, notify.Query{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range bmsgs {
			if m.Topic == notify.TopicWarningRaised {
				n++
				if m.Link != "/warnings/my" {
					t.Errorf("risk prompt links to %s", m.Link)
				}
			}
		}
		if len(prompts) == 0 || n != len(prompts) {
			t.Errorf("the business has %d risk prompts and %d messages about them", len(prompts), n)
		}

		// Handling: 核实, then 确认 with a note; the case is done and leaves the inbox.
		if _, err := a.Warnings.Verify(ctx, officer, w.ID); err != nil {
			t.Fatal(err)
		}
		if it := inbox(officer)[w.ID]; it.State != warning.StatusVerifying {
			t.Fatalf("after 核实 the case is in %q", it.State)
		}
		if _, err := a.Warnings.Decide(ctx, officer, w.ID, true, "现场核实，情况属实"); err != nil {
			t.Fatal(err)
		}
		if _, ok := inbox(officer)[w.ID]; ok {
			t.Fatal("a confirmed warning is still in the inbox")
		}
		in, err := a.Flow.InstanceFor(ctx, a.DB, warning.SubjectType, w.ID)
		if err != nil || in.Status != flow.StatusDone || in.State != warning.StatusConfirmed {
			t.Fatalf("the case after 确认: %+v %v", in, err)
		}
		if st, body := get("handler_scj", page); st != 200 || !strings.Contains(body, "现场核实，情况属实") {
			t.Errorf("%s after the decision: %d", page, st)
		}
		month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
		figs, err := a.Warnings.Figures(ctx, officer, month, month)
		if err != nil {
			t.Fatal(err)
		}
		var raised, handled, confirmed int
		for _, f := range figs {
			raised, handled, confirmed = raised+f.Raised, handled+f.Handled, confirmed+f.Confirmed
		}
		if raised < len(ws) || handled != 1 || confirmed != 1 {
			t.Errorf("figures: raised %d (open were %d), handled %d, confirmed %d; want 1 handled and confirmed", raised, len(ws), handled, confirmed)
		}
	})
}
