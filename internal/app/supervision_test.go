package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/demo"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// Supervision by hand (issue 13), on a hotline order and on an application,
// through the pages and the API of the demo city: the city's supervisor
// issues a 督办单 that reaches the department's inbox and messages, the
// department answers it, the history says so in Chinese; a supervisor of
// another district is told the case does not exist; a handler cannot
// supervise; 催办 notifies the department.
func TestSupervisionByHand(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: t.TempDir(), PasswordParams: &auth.TestPasswordParams, RootRegion: demo.CityCode})
		if err != nil {
			t.Fatal(err)
		}
		seeded, err := a.SeedDemo(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		// A supervisor of another county of the city.
		err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := a.Org.CreateUser(ctx, tx, org.NewUser{Username: "supervisor_far", DisplayName: "督办 远", Password: demo.Password,
				Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: "990104"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		sessions := map[string]string{}
		for _, u := range []string{"supervisor", "supervisor_far", "handler_cgj", "approver_scj"} {
			tok, _, err := a.Auth.SignIn(ctx, u, demo.Password, auth.ClientMeta{IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(u, err)
			}
			sessions[u] = tok
		}
		call := func(who, method, path, body string, out any) (int, http.Header, string) {
			t.Helper()
			var rd io.Reader
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			if body != "" {
				rd = strings.NewReader(body)
				req, _ = http.NewRequest(method, srv.URL+path, rd)
				if strings.HasPrefix(path, "/api/") {
					req.Header.Set("Content-Type", "application/json")
				} else {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
			}
			req.Header.Set("Origin", srv.URL)
			req.AddCookie(&http.Cookie{Name: "ys_session", Value: sessions[who]})
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if out != nil && resp.StatusCode < 300 {
				if err := json.Unmarshal(b, out); err != nil {
					t.Fatalf("%s %s: %v: %s", method, path, err, b)
				}
			}
			return resp.StatusCode, resp.Header, string(b)
		}
		// A running hotline order of 临江区 handled by the urban management
		// department (handler_cgj's), and an application of approver_scj's
		// department.
		handler, _ := a.Org.GetUser(ctx, seeded.Users["handler_cgj"])
		approver, _ := a.Org.GetUser(ctx, seeded.Users["approver_scj"])
		pick := func(subject string, depts []int64) (int64, int64) {
			for _, dept := range depts {
				var id int64
				err := db.QueryRowContext(ctx, `SELECT id FROM flow_instances WHERE subject_type = ? AND status = 'running'
					AND department_ids LIKE ? AND region_code LIKE '990102%' ORDER BY id LIMIT 1`,
					subject, "%,"+strconv.FormatInt(dept, 10)+",%").Scan(&id)
				if err == nil {
					return id, dept
				}
			}
			t.Fatalf("no running %s of departments %v", subject, depts)
			return 0, 0
		}
		order, orderDept := pick(hotline.Kind, handler.DepartmentIDs)
		application, appDept := pick(casework.SubjectType, approver.DepartmentIDs)

		for _, c := range []struct {
			name  string
			inst  int64
			dept  int64
			staff string
		}{{"hotline order", order, orderDept, "handler_cgj"}, {"application", application, appDept, "approver_scj"}} {
			t.Run(c.name, func(t *testing.T) {
				casePath := "/supervision/cases/" + strconv.FormatInt(c.inst, 10)
				// The supervision page opens for the city's supervisor only.
				if st, _, _ := call("supervisor", "GET", casePath, "", nil); st != 200 {
					t.Fatalf("supervisor GET %s: %d", casePath, st)
				}
				if st, _, _ := call("supervisor_far", "GET", casePath, "", nil); st != 404 {
					t.Errorf("supervisor of another county: %d, want 404", st)
				}
				if st, _, _ := call(c.staff, "GET", casePath, "", nil); st != 403 {
					t.Errorf("%s (not a supervisor): %d, want 403", c.staff, st)
				}
				api := "/api/v1" + casePath + "/records"
				body := `{"kind":"order","department_id":` + strconv.FormatInt(c.dept, 10) + `,"answer_days":3,"body":"请核实超期原因并落实整改。"}`
				if st, _, _ := call("supervisor_far", "POST", api, body, nil); st != 404 {
					t.Errorf("out-of-scope supervisor issues an order: %d, want 404", st)
				}
				if st, _, _ := call(c.staff, "POST", api, body, nil); st != 403 {
					t.Errorf("%s issues an order: %d, want 403", c.staff, st)
				}
				// Refusals name the field and store nothing.
				st, _, msg := call("supervisor", "POST", api, `{"kind":"order","answer_days":0,"body":"x"}`, nil)
				if st != 422 || !strings.Contains(msg, "answer_days") {
					t.Errorf("order without answer days: %d %s", st, msg)
				}
				st, _, msg = call("supervisor", "POST", api, `{"kind":"comment","body":"a\u0007b"}`, nil)
				if st != 422 || !strings.Contains(msg, "body") {
					t.Errorf("control character: %d %s", st, msg)
				}
				var n int
				db.QueryRowContext(ctx, "SELECT COUNT(*) FROM supervision_records WHERE instance_id = ?", c.inst).Scan(&n)
				if n != 0 {
					t.Fatalf("refused requests stored %d records", n)
				}

				var rec struct {
					ID        int64     `json:"id"`
					Number    string    `json:"number"`
					Status    string    `json:"status"`
					AnswerDue time.Time `json:"answer_due"`
				}
				st, hdr, msg := call("supervisor", "POST", api, body, &rec)
				if st != 201 || rec.Number == "" || rec.Status != "open" {
					t.Fatalf("issue order: %d %s", st, msg)
				}
				if want := "/api/v1/supervision/records/" + strconv.FormatInt(rec.ID, 10); hdr.Get("Location") != want {
					t.Errorf("Location %q, want %q", hdr.Get("Location"), want)
				}
				if !strings.HasPrefix(rec.Number, "督办〔") {
					t.Errorf("number %q", rec.Number)
				}
				// Three working days on the calendar, the day of issue not counted.
				if want := a.Calendar.Current().AddWorkingDays(time.Now(), 3); !rec.AnswerDue.Equal(want) {
					t.Errorf("answer due %v, want %v", rec.AnswerDue, want)
				}
				// The department sees it in its inbox and its messages.
				var open struct {
					Items []struct {
						ID int64 `json:"id"`
					} `json:"items"`
				}
				if st, _, msg := call(c.staff, "GET", "/api/v1/supervision/orders", "", &open); st != 200 || !hasRecord(open.Items, rec.ID) {
					t.Errorf("department's open orders: %d %s", st, msg)
				}
				if _, _, page := call(c.staff, "GET", "/work", "", nil); !strings.Contains(page, rec.Number) {
					t.Errorf("the /work page does not list order %s", rec.Number)
				}
				if st, _, _ := call("supervisor_far", "GET", "/api/v1/supervision/records/"+strconv.FormatInt(rec.ID, 10), "", nil); st != 404 {
					t.Errorf("record read by an out-of-scope supervisor: %d", st)
				}
				deliver(t, a)
				if got := messages(t, db, c.dept, "flow.supervised"); !strings.Contains(got, rec.Number) {
					t.Errorf("department's messages %q do not name %s", got, rec.Number)
				}
				// The department answers on the record's page; a second answer is refused.
				form := url.Values{"answer": {"已于当日现场处置完毕，并向来电人说明情况。"}}.Encode()
				recPage := "/supervision/records/" + strconv.FormatInt(rec.ID, 10)
				if st, hdr, _ := call(c.staff, "POST", recPage+"/answer", form, nil); st != 303 || !strings.Contains(hdr.Get("Location"), "ok=answered") {
					t.Fatalf("answer: %d %s", st, hdr.Get("Location"))
				}
				if st, _, _ := call(c.staff, "POST", recPage+"/answer", form, nil); st != 409 {
					t.Errorf("second answer: %d, want 409", st)
				}
				var status string
				db.QueryRowContext(ctx, "SELECT status FROM supervision_records WHERE id = ?", rec.ID).Scan(&status)
				if status != "answered" {
					t.Errorf("status after the answer %q", status)
				}
				// The history reads as sentences.
				hist := historyComments(t, db, c.inst)
				for _, want := range []string{"发出督办单" + rec.Number, "反馈督办单" + rec.Number} {
					if !strings.Contains(hist, want) {
						t.Errorf("history %q lacks %q", hist, want)
					}
				}
				deliver(t, a)
				var supMsgs string
				rows, _ := db.QueryContext(ctx, "SELECT title FROM notify_messages WHERE user_id = ? AND topic = 'flow.supervised'", seeded.Users["supervisor"])
				for rows.Next() {
					var s string
					rows.Scan(&s)
					supMsgs += s + ";"
				}
				rows.Close()
				if !strings.Contains(supMsgs, "督办单已反馈："+rec.Number) {
					t.Errorf("supervisor's messages %q", supMsgs)
				}
				// 催办 through the page notifies the department.
				f := url.Values{"kind": {"urge"}, "department_id": {strconv.FormatInt(c.dept, 10)}, "body": {"请于今日内联系来电人。"}}.Encode()
				if st, hdr, _ := call("supervisor", "POST", casePath+"/records", f, nil); st != 303 || !strings.Contains(hdr.Get("Location"), "ok=urge") {
					t.Fatalf("urge: %d %s", st, hdr.Get("Location"))
				}
				deliver(t, a)
				if got := messages(t, db, c.dept, "flow.supervised"); !strings.Contains(got, "催办：") {
					t.Errorf("department's messages after 催办: %q", got)
				}
				// 约谈 records its date, participants and outcome.
				f = url.Values{"kind": {"interview"}, "held_on": {time.Now().Format("2006-01-02")}, "participants": {"承办部门分管负责人"},
					"body": {"承诺三日内办结。"}}.Encode()
				if st, _, _ := call("supervisor", "POST", casePath+"/records", f, nil); st != 303 {
					t.Errorf("interview: %d", st)
				}
				if st, _, _ := call("supervisor", "POST", casePath+"/records", url.Values{"kind": {"interview"}, "body": {"x"}}.Encode(), nil); st != 422 {
					t.Errorf("interview without date and participants: %d, want 422", st)
				}
				if hist := historyComments(t, db, c.inst); !strings.Contains(hist, "约谈承办部门分管负责人。约谈结果：承诺三日内办结。") {
					t.Errorf("history %q lacks the interview", hist)
				}
				// Audit entries for each step.
				var audits int
				db.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE object_type = 'flow_instance' AND object_id = ? AND action LIKE 'flow.supervise_%'",
					strconv.FormatInt(c.inst, 10)).Scan(&audits)
				if audits != 4 {
					t.Errorf("%d audit entries, want 4 (order, answer, urge, interview)", audits)
				}
			})
		}
	})
}

func hasRecord(items []struct {
	ID int64 `json:"id"`
}, id int64) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func deliver(t *testing.T, a *app.App) {
	t.Helper()
	for {
		n, err := a.Outbox.RunOnce(context.Background(), 500)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func messages(t *testing.T, db *store.DB, dept int64, topic string) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT title FROM notify_messages WHERE department_id = ? AND topic = ? ORDER BY id", dept, topic)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return strings.Join(out, ";")
}

func historyComments(t *testing.T, db *store.DB, inst int64) string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT comment FROM flow_history WHERE instance_id = ? ORDER BY id", inst)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return strings.Join(out, "|")
}
