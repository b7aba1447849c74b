package hotline_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func path(o *hotline.Order) string { return "/hotline/orders/" + strconv.FormatInt(o.ID, 10) }

// TestListsMaskPhoneAndRevealNeedsPurpose: the operator who took sixteen
// calls sees every number masked in the lists and in full only on the
// order; an administrator's reveal asks for a purpose and records it.
func TestListsMaskPhoneAndRevealNeedsPurpose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		addAdmins(t, w)
		var o *hotline.Order
		for i := range 16 {
			o = w.intake(complaint("1380000" + strconv.Itoa(1000+i)))
		}
		op := w.client(t, "opr")
		for _, p := range []string{"/hotline/dispatch", "/hotline/orders"} {
			code, body := w.get(t, op, p)
			if code != 200 || strings.Contains(body, "13800001015") || strings.Count(body, "138****") != 16 {
				t.Errorf("%s: %d, %d masked numbers, full shown: %v", p, code, strings.Count(body, "138****"), strings.Contains(body, "13800001015"))
			}
		}
		if _, body := w.get(t, op, path(o)); !strings.Contains(body, "13800001015") {
			t.Error("the operator's own order does not show the full number")
		}
		adm := w.client(t, "adm")
		if _, body := w.get(t, adm, path(o)); strings.Contains(body, "13800001015") || !strings.Contains(body, "purpose") {
			t.Error("the administrator sees the number before revealing, or no reveal form")
		}
		if code, body := w.postForm(t, adm, path(o)+"/reveal", url.Values{"purpose": {" "}}); code != 422 || strings.Contains(body, "13800001015") {
			t.Errorf("reveal without purpose: %d", code)
		}
		if n := audits(t, db, "hotline.reveal_phone"); n != 0 {
			t.Errorf("%d reveal entries after a refusal", n)
		}
		code, body := w.postForm(t, adm, path(o)+"/reveal", url.Values{"purpose": {"核实重复来电"}})
		if code != 200 || !strings.Contains(body, "13800001015") {
			t.Errorf("reveal: %d, number shown %v", code, strings.Contains(body, "13800001015"))
		}
		var detail string
		db.QueryRowContext(context.Background(), "SELECT detail FROM audit_log WHERE action = 'hotline.reveal_phone'").Scan(&detail)
		if !strings.Contains(detail, "核实重复来电") {
			t.Errorf("the audit entry lacks the purpose: %s", detail)
		}
		// A dispatcher cannot reveal.
		if code, _ := w.postForm(t, w.client(t, "disp"), path(o)+"/reveal", url.Values{"purpose": {"想看看"}}); code != http.StatusForbidden {
			t.Errorf("dispatcher reveal: %d", code)
		}
	})
}

// TestCoHandlersContributeWithinLimit: an assisting department adds its
// opinion, reply part and a file within the co-handling limit; the lead
// sees who has not contributed and the reply carries the part; the lead
// department, another department and a late co-handler are refused.
func TestCoHandlersContributeWithinLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{Settings: []byte(`{"co_handle_days": 2}`)})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB, Assist: []int64{w.deptA}}))
		o = must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		// Dispatched Wed 2026-09-30 with 2 working days: the National Day
		// holiday runs to 10-07, so co-handling is open to the end of 10-09.
		if got := o.AssistDueAt.In(calendar.CST).Format("2006-01-02"); got != "2026-10-09" {
			t.Errorf("co-handling due %s, want 2026-10-09", got)
		}
		lead := w.client(t, "hbn")
		if _, body := w.get(t, lead, path(o)); !strings.Contains(body, "尚未提交") || !strings.Contains(body, "剩余 2 个工作日") {
			t.Error("the lead does not see the missing co-handler and the time left")
		}
		if _, err := w.m.Contribute(ctx, w.a("hb"), o.ID, hotline.ContributionInput{Opinion: "主办自己的意见"}); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("the lead contributes: %v", err)
		}
		if _, err := w.m.Contribute(ctx, w.a("ha"), o.ID, hotline.ContributionInput{}); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("empty opinion: %v", err)
		}
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
		c, err := w.m.Contribute(ctx, w.a("ha"), o.ID, hotline.ContributionInput{Opinion: "经核查，夜市摊位证照齐全",
			ReplyPart: "市场监管部门已核查摊位证照。", Files: []hotline.FileInput{{Name: "现场.png", Data: png}}})
		if err != nil || len(c.Files) != 1 {
			t.Fatalf("contribute: %v %+v", err, c)
		}
		_, body := w.get(t, lead, path(o))
		if !strings.Contains(body, "已提交协办意见") || !strings.Contains(body, "经核查，夜市摊位证照齐全") || !strings.Contains(body, "现场.png") {
			t.Error("the lead's page lacks the contribution")
		}
		code, file := w.get(t, lead, path(o)+"/files/"+strconv.FormatInt(c.Files[0].ID, 10))
		if code != 200 || !strings.HasPrefix(file, "\x89PNG") {
			t.Errorf("file download: %d", code)
		}
		// A citizen who filed nothing cannot read the file.
		if code, _ := w.get(t, w.client(t, "cit2"), path(o)+"/files/"+strconv.FormatInt(c.Files[0].ID, 10)); code != 404 {
			t.Errorf("stranger reads the file: %d", code)
		}
		o = must(w.m.Reply(ctx, w.a("hb"), o.ID, "已责令摊主规范经营。"))
		if !strings.Contains(o.ReplyText, "已责令摊主规范经营。") || !strings.Contains(o.ReplyText, "（协办单位临江区市场监督管理局）市场监管部门已核查摊位证照。") {
			t.Errorf("reply %q lacks the co-handler's part", o.ReplyText)
		}
		// After the limit: refused, nothing stored.
		o2 := w.intake(complaint("13800002222"))
		must(w.m.Dispatch(ctx, w.a("disp"), o2.ID, hotline.DispatchInput{Lead: w.deptB, Assist: []int64{w.deptA}}))
		w.at(time.Date(2026, 10, 12, 2, 0, 0, 0, time.UTC))
		if _, err := w.m.Contribute(ctx, w.a("ha"), o2.ID, hotline.ContributionInput{Opinion: "迟到的意见"}); !errors.Is(err, hotline.ErrCoHandleLate) {
			t.Errorf("late contribution: %v", err)
		}
		if n := count(t, db, "hotline_contributions"); n != 1 {
			t.Errorf("%d contributions stored", n)
		}
	})
}

func TestSettingsOverride(t *testing.T) {
	s, err := hotline.ParseSettings(nil)
	if err != nil || s.CoHandleDays != 3 || len(s.SendBackReasons) < 3 {
		t.Fatalf("default settings %+v, %v", s, err)
	}
	s, err = hotline.ParseSettings([]byte(`{"co_handle_days": 5, "send_back_reasons": [{"key": "x", "name": "非本单位事项"}]}`))
	if err != nil || s.CoHandleDays != 5 || len(s.SendBackReasons) != 1 {
		t.Errorf("override %+v, %v", s, err)
	}
	for _, bad := range []string{`{"co_handle_days": 0}`, `{"co_handle_days": 3, "unknown": 1}`, `{"send_back_reasons": []}`} {
		if _, err := hotline.ParseSettings([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestExtensionQueueAndDecision: a pending request is in the dispatchers'
// queue and message, in Chinese; the decision reads as a sentence saying
// what was decided and until when.
func TestExtensionQueueAndDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		x := must(w.m.RequestExtension(ctx, w.a("hb"), o.ID, 5, "需协调多个部门联合执法"))
		items, pg, err := w.m.PendingExtensions(ctx, w.a("disp"), store.Cursor{}, 20)
		if err != nil || len(items) != 1 || pg.Count != 1 || items[0].Extension.ID != x.ID || items[0].Order.ID != o.ID {
			t.Fatalf("queue %+v %v", items, err)
		}
		if _, _, err := w.m.PendingExtensions(ctx, w.a("hb"), store.Cursor{}, 20); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("a handler reads the queue: %v", err)
		}
		var msgs int
		db.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE topic = ?", hotline.TopicStaff).Scan(&msgs)
		if msgs != 1 {
			t.Errorf("%d messages to dispatchers", msgs)
		}
		disp := w.client(t, "disp")
		code, body := w.get(t, disp, "/hotline/extensions")
		if code != 200 || !strings.Contains(body, o.Number) || !strings.Contains(body, "待审核") || !strings.Contains(body, "5 个工作日") {
			t.Errorf("queue page: %d", code)
		}
		if _, body := w.get(t, disp, path(o)); !strings.Contains(body, "待审核") || strings.Contains(body, "pending") {
			t.Error("the order shows the request's state in English")
		}
		if code, _ := w.postForm(t, disp, path(o)+"/decide", url.Values{"ext": {strconv.FormatInt(x.ID, 10)}, "decision": {"grant"}, "days": {"3"}}); code != http.StatusSeeOther {
			t.Fatalf("decide: %d", code)
		}
		if items, _, _ := w.m.PendingExtensions(ctx, w.a("disp"), store.Cursor{}, 20); len(items) != 0 {
			t.Error("a decided request stays in the queue")
		}
		// Handling due 2026-10-23 (13 working days) plus 3 → 2026-10-28.
		_, body = w.get(t, disp, path(o))
		for _, want := range []string{"已批准", "派单员批准延期3个工作日，办理期限延至2026-10-28。", "承办乙申请延期5个工作日，待派单员审核。理由：需协调多个部门联合执法。"} {
			if !strings.Contains(body, want) {
				t.Errorf("order page lacks %q", want)
			}
		}
	})
}

// TestSendBackBadgeReasonAndSuggestion: a sent-back order is marked in the
// dispatch queue with the standard reason, the refusing department and
// the suggested one.
func TestSendBackBadgeReasonAndSuggestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		if _, err := w.m.SendBackWith(ctx, w.a("hb"), o.ID, hotline.SendBackInput{Code: "nonsense"}); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("unknown reason: %v", err)
		}
		if _, err := w.m.SendBackWith(ctx, w.a("hb"), o.ID, hotline.SendBackInput{Code: "other"}); !errors.Is(err, hotline.ErrInvalid) {
			t.Errorf("other without words: %v", err)
		}
		c := w.client(t, "hbn")
		if code, _ := w.postForm(t, c, path(o)+"/send_back", url.Values{"code": {"not_our_duty"}, "reason": {"占道经营归市场监管"},
			"suggest": {strconv.FormatInt(w.deptA, 10)}}); code != http.StatusSeeOther {
			t.Fatalf("send back: %d", code)
		}
		_, body := w.get(t, w.client(t, "disp"), "/hotline/dispatch")
		for _, want := range []string{"退单", "临江区城市管理局退回：不属于本单位职责。占道经营归市场监管", "建议派至临江区市场监督管理局。"} {
			if !strings.Contains(body, want) {
				t.Errorf("dispatch queue lacks %q", want)
			}
		}
		// Dispatched again, the mark goes.
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptA}))
		if got := must(w.m.Get(ctx, w.a("disp"), o.ID)); !got.SentBackAt.IsZero() {
			t.Error("the send-back mark stays after a new dispatch")
		}
	})
}

// TestTimeLeftOnTheCalendar says time left with literal dates across the
// 2026 National Day holiday (10-01..10-07, make-up Saturday 10-10).
func TestTimeLeftOnTheCalendar(t *testing.T) {
	cal := calendar.New(calendar.Official())
	at := func(s string) time.Time {
		x, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.CST)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	end := func(s string) time.Time { return at(s + " 23:59").Add(59*time.Second + 999999*time.Microsecond) }
	cases := []struct {
		name string
		l    flow.Left
		want string
	}{
		{"two working days across the holiday", flow.LeftUntil(cal, end("2026-10-09"), flow.WorkDays, at("2026-09-30 10:00")), "剩余 2 个工作日"},
		{"due today", flow.LeftUntil(cal, end("2026-09-30"), flow.WorkDays, at("2026-09-30 10:00")), "今日到期"},
		{"the make-up Saturday counts", flow.LeftUntil(cal, end("2026-10-12"), flow.WorkDays, at("2026-10-09 10:00")), "剩余 2 个工作日"},
		{"overdue in working days", flow.LeftUntil(cal, end("2026-09-30"), flow.WorkDays, at("2026-10-09 10:00")), "超期 2 个工作日"},
		{"hours", flow.LeftUntil(cal, at("2026-09-30 15:00"), flow.Hours, at("2026-09-30 10:00")), "剩余 5 小时"},
		{"minutes", flow.LeftUntil(cal, at("2026-09-30 10:15"), flow.Minutes, at("2026-09-30 10:03")), "剩余 12 分钟"},
		{"overdue hours", flow.LeftUntil(cal, at("2026-09-30 10:00"), flow.Hours, at("2026-09-30 13:00")), "超期 3 小时"},
		{"paused", flow.TimeLeft(cal, nil, &flow.Instance{Status: flow.StatusPaused, StateDueAt: end("2026-10-09")}, at("2026-09-30 10:00")), "已暂停"},
		{"waiting for dispatch", flow.TimeLeft(cal, nil, &flow.Instance{Status: flow.StatusRunning, StateEnteredAt: at("2026-09-30 10:00")}, at("2026-10-09 09:00")), "已等待 2 个工作日"},
	}
	for _, c := range cases {
		if got := c.l.Text("zh-CN"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	if got := cases[0].l.Text("en"); got != "2 working day(s) left" {
		t.Errorf("English: %q", got)
	}
}

// TestQueuesShowTimeLeftAndCitizenAnswerDue: every queue says time left
// one way with urgency and department; a citizen sees the answer date.
func TestQueuesShowTimeLeftAndCitizenAnswerDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		n := complaint("13800001111")
		n.CallerUserID = w.a("cit1").UserID
		o := w.intake(n)
		waiting := w.intake(complaint("13800002222"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		w.at(time.Date(2026, 10, 9, 1, 0, 0, 0, time.UTC)) // Fri 09:00 CST
		_, body := w.get(t, w.client(t, "hbn"), "/hotline/handling")
		if !strings.Contains(body, "剩余 11 个工作日") || !strings.Contains(body, "临江区城市管理局") || !strings.Contains(body, "一般") {
			t.Error("handling queue lacks time left, department or urgency")
		}
		_, body = w.get(t, w.client(t, "disp"), "/hotline/dispatch")
		if !strings.Contains(body, "已等待 2 个工作日") || strings.Contains(body, "无时限") || strings.Contains(body, "天") && strings.Contains(body, "小时") {
			t.Errorf("dispatch queue does not say how long %s has waited", waiting.Number)
		}
		_, body = w.get(t, w.client(t, "cit1"), "/hotline/my")
		if !strings.Contains(body, "2026-10-23") {
			t.Error("the citizen's list lacks the answer date")
		}
		if _, body = w.get(t, w.client(t, "cit1"), path(o)); !strings.Contains(body, "2026-10-23") || strings.Contains(body, "剩余") {
			t.Error("the citizen's order page lacks the answer date or shows the internal time left")
		}
	})
}

// TestOrderFiltersAndExport: the list filters by type, status, department,
// district, date and urgency, refuses a bad value naming it, and exports
// the filtered list with phone numbers masked.
func TestOrderFiltersAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		a := w.intake(complaint("13800001111"))
		n := complaint("13800002222")
		n.Type, n.Urgent = hotline.TypeHelp, true
		b := w.intake(n)
		must(w.m.Dispatch(ctx, w.a("disp"), b.ID, hotline.DispatchInput{Lead: w.deptA}))
		op := w.client(t, "opr")
		for q, want := range map[string]*hotline.Order{"type=help": b, "type=complaint": a, "urgent=1": b, "status=new": a,
			"dept=" + strconv.FormatInt(w.deptA, 10): b} {
			_, body := w.get(t, op, "/hotline/orders?"+q)
			other := a
			if want == a {
				other = b
			}
			if !strings.Contains(body, want.Number) || strings.Contains(body, other.Number) {
				t.Errorf("%s: want only %s", q, want.Number)
			}
		}
		if _, body := w.get(t, op, "/hotline/orders?region=990102&from=2026-09-30&to=2026-09-30"); !strings.Contains(body, a.Number) || !strings.Contains(body, b.Number) {
			t.Error("district and date filter lose orders")
		}
		if _, body := w.get(t, op, "/hotline/orders?from=2026-10-01"); strings.Contains(body, a.Number) {
			t.Error("from filter keeps older orders")
		}
		if code, body := w.get(t, op, "/hotline/orders?type=gossip"); code != 422 || !strings.Contains(body, "诉求类型无效") {
			t.Errorf("bad type: %d", code)
		}
		req, _ := http.NewRequest("GET", w.srv.URL+"/hotline/orders.xlsx?type=help", nil)
		resp, err := op.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("export: %d %v", resp.StatusCode, err)
		}
		var all strings.Builder
		for _, f := range zr.File {
			rc, _ := f.Open()
			io.Copy(&all, rc)
			rc.Close()
		}
		s := all.String()
		if !strings.Contains(s, b.Number) || strings.Contains(s, a.Number) || !strings.Contains(s, "138****2222") ||
			strings.Contains(s, "13800002222") || !strings.Contains(s, "紧急") || !strings.Contains(s, "临江区市场监督管理局") {
			t.Error("export content wrong (filtered rows, masked phone, urgency, department)")
		}
	})
}

// TestHistoryReadsAsSentences: no key: value lines, no ids, no codes.
func TestHistoryReadsAsSentences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB, Comment: "请尽快处理"}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		w.at(time.Date(2026, 10, 21, 2, 0, 0, 0, time.UTC)) // past 80%: a reminder
		if _, err := w.eng.FireDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
		_, body := w.get(t, w.client(t, "disp"), path(o))
		for _, want := range []string{"坐席受理了工单，工单进入待派单。", "派单员派单，工单由待派单转为待签收。说明：派至临江区城市管理局。请尽快处理。",
			"承办乙签收，工单由待签收转为办理中。", "系统（自动）因办理时限临近或已超期，发出提醒单。"} {
			if !strings.Contains(body, want) {
				t.Errorf("history lacks %q", want)
			}
		}
		for _, bad := range []string{"opinion:", "clock:", "level:", "#" + strconv.FormatInt(o.ID, 10), "010101"} {
			if strings.Contains(body, bad) {
				t.Errorf("order page shows %q", bad)
			}
		}
	})
}

// TestStaffAPI: the co-handling part answers 201 with Location, the
// extension queue and the send-back's standard reason work over the API,
// and the reveal asks for its purpose there too.
func TestStaffAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		addAdmins(t, w)
		ctx := context.Background()
		o := w.intake(complaint("13800001111"))
		must(w.m.Dispatch(ctx, w.a("disp"), o.ID, hotline.DispatchInput{Lead: w.deptB, Assist: []int64{w.deptA}}))
		must(w.m.SignFor(ctx, w.a("hb"), o.ID))
		base := "/api/v1/hotline/orders/" + strconv.FormatInt(o.ID, 10)
		if code, body := w.api(t, "hbn", "POST", base+"/contributions", map[string]any{"opinion": "主办不能协办"}); code != 403 {
			t.Errorf("lead contributes over the API: %d %s", code, body)
		}
		c := w.client(t, "han")
		req, _ := http.NewRequest("POST", w.srv.URL+base+"/contributions", strings.NewReader(`{"opinion":"已核查证照","reply_part":"证照齐全。"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", w.srv.URL)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 201 || resp.Header.Get("Location") == "" {
			t.Errorf("contribute: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if code, body := w.api(t, "hbn", "GET", base+"/contributions", nil); code != 200 || !strings.Contains(body, "已核查证照") {
			t.Errorf("contributions: %d %s", code, body)
		}
		must(w.m.RequestExtension(ctx, w.a("hb"), o.ID, 2, "等待检测报告"))
		if code, body := w.api(t, "disp", "GET", "/api/v1/hotline/extensions", nil); code != 200 || !strings.Contains(body, "待审核") || !strings.Contains(body, o.Number) {
			t.Errorf("extension queue: %d %s", code, body)
		}
		if code, _ := w.api(t, "hbn", "GET", "/api/v1/hotline/extensions", nil); code != 403 {
			t.Errorf("a handler reads the extension queue: %d", code)
		}
		if code, _ := w.api(t, "adm", "POST", base+"/reveal", map[string]any{"purpose": ""}); code != 422 {
			t.Errorf("reveal without purpose: %d", code)
		}
		if code, body := w.api(t, "adm", "POST", base+"/reveal", map[string]any{"purpose": "处理来电人投诉"}); code != 200 || !strings.Contains(body, "13800001111") {
			t.Errorf("reveal: %d %s", code, body)
		}
		if n := audits(t, db, "hotline.reveal_phone"); n != 1 {
			t.Errorf("%d reveal entries", n)
		}
		if code, body := w.api(t, "hbn", "POST", base+"/send-back", map[string]any{"code": "wrong_region", "suggest_department_id": w.deptA}); code != 200 ||
			!strings.Contains(body, `"sent_back_code":"wrong_region"`) {
			t.Errorf("send back: %d %s", code, body)
		}
	})
}
