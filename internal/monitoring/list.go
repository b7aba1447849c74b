package monitoring

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// MaxPage is the largest page a list returns; MaxExport the most rows an
// export writes (a narrower filter gets the rest).
const (
	MaxPage   = 200
	MaxExport = 10000
)

// gradeNames accept the Chinese names of the grades in filters too.
var gradeNames = map[string]Grade{"提醒": GradeRemind, "约谈": GradeInterview, "检查": GradeCheck}

// ParseFilter reads the staff list's filter from query values, as the
// page, the export and the API share it: uscc (a business's 统一社会信用代码),
// grade (remind, interview, check, or 提醒, 约谈, 检查), state (see
// [States]; "status" is its older name on the page) and from / to (dates
// YYYY-MM-DD in China Standard Time, both included, on when the alert was
// raised). A bad value is a *FieldError naming it; nothing is guessed.
func ParseFilter(q url.Values) (AlertFilter, error) {
	var f AlertFilter
	for k, vs := range q {
		for _, v := range vs {
			if hasControl(v) || len(v) > 64 {
				return f, &FieldError{k, "no control characters, at most 64 bytes"}
			}
		}
	}
	get := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	if u := ids.NormalizeUSCC(get("uscc")); u != "" {
		if ids.ValidateUSCC(u) != nil {
			return f, &FieldError{"uscc", "not a valid unified social credit code"}
		}
		f.USCC = u
	}
	if g := get("grade"); g != "" {
		if cn, ok := gradeNames[g]; ok {
			g = string(cn)
		}
		if Grade(g).rank() == 0 {
			return f, &FieldError{"grade", "remind, interview or check (提醒, 约谈, 检查)"}
		}
		f.Grade = Grade(g)
	}
	st := get("state")
	if st == "" {
		st = get("status")
	}
	if st != "" {
		if !State(st).Valid() {
			return f, &FieldError{"state", "open, pending, acknowledged, overdue, closed or all"}
		}
		f.State = State(st)
	}
	day := func(k string) (time.Time, error) {
		v := get(k)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(calendar.DateLayout, v, calendar.CST)
		if err != nil || t.Year() < 2000 || t.Year() > 2100 {
			return time.Time{}, &FieldError{k, "a date YYYY-MM-DD"}
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from"); err != nil {
		return f, err
	}
	if f.To, err = day("to"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		if !f.From.IsZero() && f.To.Before(f.From) {
			return f, &FieldError{"to", "before from"}
		}
		f.To = f.To.AddDate(0, 0, 1) // the whole last day
	}
	return f, nil
}

// StateOf returns alert a's standing at now (one of open's three parts, or
// closed).
func (m *Module) StateOf(a Alert, now time.Time) State {
	switch {
	case a.Closed:
		return StateClosed
	case !a.Acknowledged.IsZero():
		return StateAcknowledged
	case now.After(m.Due(a)):
		return StateOverdue
	}
	return StatePending
}

// SweepOverdue flags the open, unacknowledged alerts whose limit has
// passed and enters it in their history, once each; it first gives the
// alerts stored before the limits their due time. It returns how many it
// flagged. Nodes may sweep at once: the conditional update flags each
// alert only once.
func (m *Module) SweepOverdue(ctx context.Context) (int, error) {
	now := m.d.Now()
	rows, err := store.Query(ctx, m.d.DB, `SELECT `+alertCols+` FROM monitoring_alerts WHERE closed_at IS NULL AND ack_due_at IS NULL ORDER BY id LIMIT 1000`)
	if err != nil {
		return 0, fmt.Errorf("monitoring: overdue sweep: %w", err)
	}
	var old []Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("monitoring: overdue sweep: %w", err)
		}
		old = append(old, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("monitoring: overdue sweep: %w", err)
	}
	for _, a := range old {
		if _, err := store.Exec(ctx, m.d.DB, `UPDATE monitoring_alerts SET ack_due_at = ? WHERE id = ? AND ack_due_at IS NULL`,
			store.Time(m.ackDue(a.Grade, a.Opened)), a.ID); err != nil {
			return 0, fmt.Errorf("monitoring: overdue sweep: due of alert %d: %w", a.ID, err)
		}
	}
	rows, err = store.Query(ctx, m.d.DB, `SELECT id, grade, ack_due_at FROM monitoring_alerts WHERE closed_at IS NULL AND acknowledged_at IS NULL
		AND overdue_at IS NULL AND ack_due_at < ? ORDER BY id LIMIT 1000`, store.Time(now))
	if err != nil {
		return 0, fmt.Errorf("monitoring: overdue sweep: %w", err)
	}
	type late struct {
		id  int64
		g   Grade
		due time.Time
	}
	var ls []late
	for rows.Next() {
		var l late
		if err := rows.Scan(&l.id, &l.g, &l.due); err != nil {
			rows.Close()
			return 0, fmt.Errorf("monitoring: overdue sweep: %w", err)
		}
		ls = append(ls, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("monitoring: overdue sweep: %w", err)
	}
	n := 0
	for _, l := range ls {
		err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			res, err := store.Exec(ctx, tx, `UPDATE monitoring_alerts SET overdue_at = ? WHERE id = ? AND overdue_at IS NULL AND acknowledged_at IS NULL
				AND closed_at IS NULL`, store.Time(now), l.id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return addEvent(ctx, tx, l.id, now, EventOverdue, l.g, 0, "签收时限 "+m.rules.AckLimit(l.g).String()+" 已于 "+
				l.due.In(calendar.CST).Format("2006-01-02 15:04")+" 届满，尚未签收")
		})
		if err != nil {
			return n, fmt.Errorf("monitoring: overdue sweep: alert %d: %w", l.id, err)
		}
	}
	return n, nil
}

// limitText writes a limit in the reader's language.
func (m *Module) limitText(lang string, l calendar.Limit) string {
	return m.s.Bundle().T(lang, "monitoring.limit."+string(l.Unit), i18n.Args{"n": l.N})
}

// limitTexts are the grades' limits as the pages show them.
func (m *Module) limitTexts(lang string) map[string]string {
	out := map[string]string{}
	for _, g := range Grades {
		out[string(g)] = m.limitText(lang, m.rules.AckLimit(g))
	}
	return out
}

// AlertItem is an alert as the staff API lists it.
type AlertItem struct {
	ID           int64      `json:"id"`
	RuleCode     string     `json:"rule_code"`
	RuleName     string     `json:"rule_name"`
	DeviceID     int64      `json:"device_id"`
	USCC         string     `json:"uscc"`
	BusinessName string     `json:"business_name"`
	DepartmentID int64      `json:"department_id"`
	RegionCode   string     `json:"region_code"`
	Grade        Grade      `json:"grade" enum:"remind,interview,check"`
	GradeName    string     `json:"grade_name" doc:"提醒, 约谈 or 检查"`
	State        State      `json:"state" enum:"pending,acknowledged,overdue,closed"`
	Firings      int        `json:"firings"`
	OpenedAt     time.Time  `json:"opened_at"`
	LastFiredAt  time.Time  `json:"last_fired_at"`
	Reason       string     `json:"reason"`
	AckDueAt     time.Time  `json:"ack_due_at" doc:"Acknowledge (签收) by; the limit of the grade on the working-day calendar"`
	AckLimit     string     `json:"ack_limit" doc:"The grade's limit, e.g. 3个工作日"`
	Acknowledged *time.Time `json:"acknowledged_at,omitempty"`
	Overdue      bool       `json:"overdue" doc:"The limit passed before acknowledgement (now, or when it was acknowledged late)"`
	OverdueAt    *time.Time `json:"overdue_at,omitempty" doc:"When the lapse was found"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	CloseNote    string     `json:"close_note,omitempty"`
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (m *Module) item(a Alert, now time.Time, rules map[string]Rule) AlertItem {
	st := m.StateOf(a, now)
	return AlertItem{ID: a.ID, RuleCode: a.RuleCode, RuleName: rules[a.RuleCode].Name, DeviceID: a.DeviceID, USCC: a.USCC,
		BusinessName: a.BusinessName, DepartmentID: a.DepartmentID, RegionCode: a.RegionCode, Grade: a.Grade,
		GradeName: map[Grade]string{GradeRemind: "提醒", GradeInterview: "约谈", GradeCheck: "检查"}[a.Grade], State: st,
		Firings: a.Firings, OpenedAt: a.Opened, LastFiredAt: a.LastFired, Reason: a.Reason, AckDueAt: m.Due(a),
		AckLimit: m.rules.AckLimit(a.Grade).String(), Acknowledged: ptr(a.Acknowledged),
		Overdue: st == StateOverdue || !a.OverdueAt.IsZero(), OverdueAt: ptr(a.OverdueAt), ClosedAt: ptr(a.ClosedAt), CloseNote: a.CloseNote}
}

type listInput struct {
	USCC   string `query:"uscc" maxLength:"64" doc:"One business's alerts (统一社会信用代码)"`
	Grade  string `query:"grade" maxLength:"64" doc:"remind, interview or check (提醒, 约谈, 检查); empty: every grade"`
	State  string `query:"state" maxLength:"64" doc:"open (default), pending (待签收), acknowledged, overdue (超时未签收), closed or all"`
	From   string `query:"from" maxLength:"64" doc:"Raised on or after this date (YYYY-MM-DD, China Standard Time)"`
	To     string `query:"to" maxLength:"64" doc:"Raised on or before this date (YYYY-MM-DD, China Standard Time)"`
	Cursor string `query:"cursor" maxLength:"42"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type listOutput struct {
	Body struct {
		Items      []AlertItem `json:"items"`
		NextCursor string      `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
	}
}

// registerAPI registers the staff list of alerts.
func (m *Module) registerAPI(s *web.Server) {
	huma.Register(s.API(), huma.Operation{OperationID: "list-monitoring-alerts", Method: http.MethodGet, Path: web.APIPrefix + "/monitoring/alerts",
		Summary: "Monitoring alerts (监测预警) the caller's departments or region hold",
		Description: "Department staff see their departments' alerts, supervisors and administrators their region's; latest firing first, " +
			"by keyset. Each alert carries its acknowledgement limit (签收时限) on the working-day calendar and whether it has passed.",
		Tags: []string{"monitoring"}, Security: web.Secured(), Errors: []int{400, 401, 403, 422},
	}, func(ctx context.Context, in *listInput) (*listOutput, error) {
		a, err := s.Actor(ctx, staffRoles...)
		if err != nil {
			return nil, err
		}
		f, err := ParseFilter(url.Values{"uscc": {in.USCC}, "grade": {in.Grade}, "state": {in.State}, "from": {in.From}, "to": {in.To}})
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		if f.Cursor, err = store.ParseCursor(in.Cursor); err != nil {
			return nil, huma.Error400BadRequest("cursor 无效 (malformed cursor)")
		}
		f.Limit = in.Limit
		als, next, err := m.Alerts(ctx, a, f)
		if err != nil {
			return nil, m.problem(ctx, err)
		}
		out := &listOutput{}
		out.Body.Items = []AlertItem{}
		now, rules := m.d.Now(), m.rules.byCode()
		for _, al := range als {
			out.Body.Items = append(out.Body.Items, m.item(al, now, rules))
		}
		out.Body.NextCursor = next.String()
		return out, nil
	})
}

// problem answers an API error: a bad filter is 422 naming the field.
func (m *Module) problem(ctx context.Context, err error) error {
	if fe, ok := err.(*FieldError); ok {
		lang := i18n.LangFrom(ctx)
		return huma.Error422UnprocessableEntity(m.s.Bundle().T(lang, "monitoring.error.filter"),
			&huma.ErrorDetail{Location: "query." + fe.Field, Message: fe.Msg})
	}
	return m.s.Problem(ctx, err)
}

// export writes the staff list, with the page's filter, as a workbook of
// at most MaxExport alerts.
func (m *Module) export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "monitoring.error.filter")
		return
	}
	lang := langOf(r)
	t := func(k string) string { return m.s.Bundle().T(lang, k) }
	now, rules := m.d.Now(), m.rules.byCode()
	// The first page is read before anything is written, so a failure
	// still answers with an error page.
	f.Limit = MaxPage
	first, next, err := m.Alerts(ctx, a, f)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	cols := []string{"alert", "business", "uscc", "rule", "rule_name", "grade", "state", "firings", "opened", "last", "limit", "due",
		"acknowledged", "overdue", "closed", "note", "reason"}
	sh := xlsx.Sheet{Name: t("monitoring.export.sheet")}
	for _, c := range cols {
		sh.Header = append(sh.Header, t("monitoring.export.col."+c))
	}
	row := func(al Alert) []any {
		it := m.item(al, now, rules)
		over := ""
		if it.Overdue {
			over = t("monitoring.export.yes")
		}
		return []any{it.ID, it.BusinessName, it.USCC, it.RuleCode, it.RuleName, t("monitoring.grade." + string(it.Grade)),
			t("monitoring.state." + string(it.State)), it.Firings, it.OpenedAt, it.LastFiredAt, m.limitText(lang, m.rules.AckLimit(al.Grade)),
			it.AckDueAt, al.Acknowledged, over, al.ClosedAt, it.CloseNote, it.Reason}
	}
	for _, al := range first {
		sh.Rows = append(sh.Rows, row(al))
	}
	written := len(first)
	sh.Stream = func(emit func([]any) error) error {
		for !next.IsZero() && written < MaxExport {
			f.Cursor = next
			var page []Alert
			if page, next, err = m.Alerts(ctx, a, f); err != nil {
				return err
			}
			for _, al := range page {
				if written >= MaxExport {
					return nil
				}
				if err := emit(row(al)); err != nil {
					return err
				}
				written++
			}
		}
		return nil
	}
	name := t("monitoring.export.filename") + "-" + now.In(calendar.CST).Format("20060102")
	if err := xlsx.Serve(w, name, sh); err != nil {
		m.s.Logger().ErrorContext(ctx, "monitoring: export", "request_id", web.RequestID(ctx), "err", err)
	}
}
