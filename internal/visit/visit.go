package visit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// TopicNotice is the outbox topic of a new visit; the notify module tells
// the business (notify.TopicVisitNotice).
const TopicNotice = "visit.notice"

// PublishWorkingDays is the national default limit for publishing a
// visit's results: within 20 working days of completion (抽查检查结果
// 自检查完成之日起20个工作日内公示).
const PublishWorkingDays = 20

// Visit statuses.
const (
	StatusAssigned  = "assigned"  // waiting to be carried out
	StatusCompleted = "completed" // results recorded, not yet published
	StatusPublished = "published" // results published
	StatusOverdue   = "overdue"   // completed and not published within the limit
)

// Result is a standard result of one inspection item (检查结果).
type Result struct {
	Code string
	Name string // zh-CN
	// Unreachable marks 通过登记的住所或经营场所无法联系, which puts the
	// business on the abnormal list (经营异常名录).
	Unreachable bool
}

// Results lists the standard results, as data.
var standardResults = []Result{
	{Code: "ok", Name: "未发现问题"},
	{Code: "corrected", Name: "发现问题已责令改正"},
	{Code: "followup", Name: "发现问题待后续处理"},
	{Code: "undisclosed", Name: "未按规定公示应当公示的信息"},
	{Code: "uncooperative", Name: "不配合检查"},
	{Code: "unreachable", Name: "通过登记的住所或经营场所无法联系", Unreachable: true},
	{Code: "closed", Name: "检查时已停业、歇业或注销"},
}

// StandardResults returns the standard results in display order.
func StandardResults() []Result { return append([]Result(nil), standardResults...) }

func resultByCode(code string) (Result, bool) {
	for _, r := range standardResults {
		if r.Code == code {
			return r, true
		}
	}
	return Result{}, false
}

// Config holds the rules a province may set differently.
type Config struct {
	PublishWorkingDays int // 0 means PublishWorkingDays
}

// Service assigns, merges, records and publishes visits.
type Service struct {
	cal func() *calendar.Calendar
	cfg Config
	now func() time.Time
}

// NewService returns a Service on the working-day calendar cal returns (the
// calendar service's current one, so a newly published year applies).
func NewService(cal func() *calendar.Calendar, cfg Config, now func() time.Time) *Service {
	if cfg.PublishWorkingDays <= 0 {
		cfg.PublishWorkingDays = PublishWorkingDays
	}
	if now == nil {
		now = time.Now
	}
	return &Service{cal: cal, cfg: cfg, now: now}
}

// PublishDays is the publication limit in working days this service applies.
func (s *Service) PublishDays() int { return s.cfg.PublishWorkingDays }

// ErrNotFound is returned for a visit that does not exist or that the
// caller may not see (web.StatusOf answers 404).
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string  { return "visit: not found (未找到)" }
func (notFound) NotFound() bool { return true }

// Validate reports every field of a that is wrong; the paths are prefixed
// by prefix (such as "assignments[2].").
func (a Assignment) Validate(prefix string) error {
	var p valid.Problems
	switch a.Source {
	case SourceDraw, SourceMonitoring, SourceManual:
	default:
		p.Add(prefix+"source", "来源不正确 (unknown source %q)", a.Source)
	}
	for _, f := range []struct {
		path, v string
		max     int
		req     bool
	}{
		{"task_ref", a.TaskRef, 100, true}, {"item_code", a.ItemCode, 60, true}, {"item_name", a.ItemName, 200, true},
		{"legal_basis", a.LegalBasis, 2000, false}, {"joint_task_ref", a.JointTaskRef, 100, false}, {"reason", a.Reason, 2000, false},
	} {
		switch {
		case f.req && strings.TrimSpace(f.v) == "":
			p.Add(prefix+f.path, "必填 (required)")
		case len([]rune(f.v)) > f.max:
			p.Add(prefix+f.path, "过长，最多%d字 (at most %d characters)", f.max, f.max)
		default:
			if err := valid.Text(prefix+f.path, f.v); err != nil {
				p = append(p, err)
			}
		}
	}
	for i, c := range a.Checklist {
		if strings.TrimSpace(c) == "" || len([]rune(c)) > 500 {
			p.Add(fmt.Sprintf("%schecklist[%d]", prefix, i), "检查内容为空或过长 (empty or longer than 500 characters)")
		} else if err := valid.Text(fmt.Sprintf("%schecklist[%d]", prefix, i), c); err != nil {
			p = append(p, err)
		}
	}
	if a.DepartmentID <= 0 {
		p.Add(prefix+"department_id", "必填 (required)")
	}
	if err := ids.ValidateUSCC(a.USCC); err != nil {
		p.Add(prefix+"uscc", "统一社会信用代码不正确 (not a valid USCC)")
	}
	if len(a.InspectorUserIDs) == 0 {
		p.Add(prefix+"inspector_user_ids", "至少一名执法人员 (at least one inspector)")
	}
	for i, id := range a.InspectorUserIDs {
		if id <= 0 {
			p.Add(fmt.Sprintf("%sinspector_user_ids[%d]", prefix, i), "不正确 (invalid)")
		}
	}
	if a.WindowFrom.IsZero() {
		p.Add(prefix+"window_from", "必填 (required)")
	}
	if a.WindowTo.IsZero() || (!a.WindowFrom.IsZero() && a.WindowTo.Before(a.WindowFrom)) {
		p.Add(prefix+"window_to", "须不早于开始时间 (must not be before window_from)")
	}
	return p.Err()
}

// Assign records the assignments and merges them into visits. Assigning the
// same Source, TaskRef, ItemCode and USCC again is a no-op. An assignment
// joins the open visit of its business whose window overlaps its own (the
// visit's window narrows to the overlap, so one visit satisfies every
// window); otherwise it opens a new visit. Every input is validated first:
// on any problem nothing is stored.
//
// The lead department of a visit with items of several departments (a joint
// visit, 跨部门联合抽查) is, in order: the department with a 重点 item, then
// the department with most items, then the department of the earliest
// assignment.
func (s *Service) Assign(ctx context.Context, tx store.IDB, as []Assignment) error {
	var errs []error
	for i := range as {
		as[i].USCC = ids.NormalizeUSCC(as[i].USCC)
		if err := as[i].Validate(fmt.Sprintf("assignments[%d].", i)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	now := store.Time(s.now())
	for _, a := range as {
		var n int
		if err := store.QueryRow(ctx, tx, `SELECT COUNT(*) FROM visit_assignments WHERE source = ? AND task_ref = ? AND item_code = ? AND uscc = ?`,
			string(a.Source), a.TaskRef, a.ItemCode, a.USCC).Scan(&n); err != nil {
			return fmt.Errorf("visit: assign: %w", err)
		}
		if n > 0 {
			continue
		}
		from, to := store.Time(a.WindowFrom), store.Time(a.WindowTo)
		var visitID int64
		var vf, vt time.Time
		err := store.QueryRow(ctx, tx, `SELECT id, window_from, window_to FROM visits WHERE uscc = ? AND status = ? AND window_from <= ? AND window_to >= ? ORDER BY id LIMIT 1`,
			a.USCC, StatusAssigned, to, from).Scan(&visitID, &vf, &vt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := store.QueryRow(ctx, tx, `INSERT INTO visits (uscc, lead_department_id, joint, window_from, window_to, status, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.USCC, a.DepartmentID, false, from, to, StatusAssigned, now).Scan(&visitID); err != nil {
				return fmt.Errorf("visit: assign: new visit: %w", err)
			}
			// The business is told once per visit, when it is opened.
			if err := outbox.Add(ctx, tx, s.now(), TopicNotice, map[string]any{"visit_id": visitID, "uscc": a.USCC,
				"window_from": a.WindowFrom.In(calendar.CST).Format(calendar.DateLayout),
				"window_to":   a.WindowTo.In(calendar.CST).Format(calendar.DateLayout)}); err != nil {
				return fmt.Errorf("visit: assign: notice: %w", err)
			}
		case err != nil:
			return fmt.Errorf("visit: assign: find visit: %w", err)
		default:
			if from.After(vf) {
				vf = from
			}
			if to.Before(vt) {
				vt = to
			}
			if _, err := store.Exec(ctx, tx, `UPDATE visits SET window_from = ?, window_to = ? WHERE id = ?`, store.Time(vf), store.Time(vt), visitID); err != nil {
				return fmt.Errorf("visit: assign: narrow window: %w", err)
			}
		}
		checklist, _ := json.Marshal(append([]string{}, a.Checklist...))
		inspectors, _ := json.Marshal(a.InspectorUserIDs)
		if _, err := store.Exec(ctx, tx, `INSERT INTO visit_assignments (visit_id, source, task_ref, item_code, item_name, checklist, legal_basis,
			key_item, department_id, joint_task_ref, uscc, inspectors, window_from, window_to, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, visitID, string(a.Source), a.TaskRef, a.ItemCode, a.ItemName,
			string(checklist), a.LegalBasis, a.Key, a.DepartmentID, a.JointTaskRef, a.USCC, string(inspectors), from, to, a.Reason, now); err != nil {
			return fmt.Errorf("visit: assign: item: %w", err)
		}
		for _, u := range a.InspectorUserIDs {
			var k int
			if err := store.QueryRow(ctx, tx, `SELECT COUNT(*) FROM visit_inspectors WHERE visit_id = ? AND user_id = ?`, visitID, u).Scan(&k); err != nil {
				return fmt.Errorf("visit: assign: inspector: %w", err)
			}
			if k == 0 {
				if _, err := store.Exec(ctx, tx, `INSERT INTO visit_inspectors (visit_id, user_id, department_id) VALUES (?, ?, ?)`, visitID, u, a.DepartmentID); err != nil {
					return fmt.Errorf("visit: assign: inspector: %w", err)
				}
			}
		}
		if err := s.relead(ctx, tx, visitID); err != nil {
			return err
		}
	}
	return nil
}

// relead recomputes the lead department and the joint flag of a visit.
func (s *Service) relead(ctx context.Context, tx store.IDB, visitID int64) error {
	rows, err := store.Query(ctx, tx, `SELECT department_id, key_item, id FROM visit_assignments WHERE visit_id = ? ORDER BY id`, visitID)
	if err != nil {
		return fmt.Errorf("visit: lead: %w", err)
	}
	defer rows.Close()
	type tally struct {
		key   bool
		items int
		first int64
	}
	depts := map[int64]*tally{}
	for rows.Next() {
		var d, id int64
		var key bool
		if err := rows.Scan(&d, &key, &id); err != nil {
			return fmt.Errorf("visit: lead: %w", err)
		}
		t := depts[d]
		if t == nil {
			t = &tally{first: id}
			depts[d] = t
		}
		t.key = t.key || key
		t.items++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("visit: lead: %w", err)
	}
	list := make([]int64, 0, len(depts))
	for d := range depts {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := depts[list[i]], depts[list[j]]
		if a.key != b.key {
			return a.key
		}
		if a.items != b.items {
			return a.items > b.items
		}
		return a.first < b.first
	})
	if len(list) == 0 {
		return nil
	}
	_, err = store.Exec(ctx, tx, `UPDATE visits SET lead_department_id = ?, joint = ? WHERE id = ?`, list[0], len(list) > 1, visitID)
	if err != nil {
		return fmt.Errorf("visit: lead: %w", err)
	}
	return nil
}

// Visit is a visit as read back.
type Visit struct {
	ID               int64
	USCC             string
	LeadDepartmentID int64
	Joint            bool
	WindowFrom       time.Time
	WindowTo         time.Time
	Status           string
	CompletedOn      string
	PublishDueOn     string
	PublishedOn      string
	Items            []Item
	InspectorUserIDs []int64
}

// Item is one assignment within a visit.
type Item struct {
	ID           int64
	Source       Source
	TaskRef      string
	ItemCode     string
	ItemName     string
	Checklist    []string
	Key          bool
	DepartmentID int64
	Result       string
	Note         string
}

// Get returns a visit with its items and inspectors.
func (s *Service) Get(ctx context.Context, tx store.IDB, id int64) (Visit, error) {
	var v Visit
	err := store.QueryRow(ctx, tx, `SELECT id, uscc, lead_department_id, joint, window_from, window_to, status, completed_on, publish_due_on, published_on
		FROM visits WHERE id = ?`, id).Scan(&v.ID, &v.USCC, &v.LeadDepartmentID, &v.Joint, &v.WindowFrom, &v.WindowTo, &v.Status,
		&v.CompletedOn, &v.PublishDueOn, &v.PublishedOn)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("visit: get %d: %w", id, err)
	}
	rows, err := store.Query(ctx, tx, `SELECT id, source, task_ref, item_code, item_name, checklist, key_item, department_id, result, note
		FROM visit_assignments WHERE visit_id = ? ORDER BY id`, id)
	if err != nil {
		return v, fmt.Errorf("visit: get %d: items: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it Item
		var src, cl string
		if err := rows.Scan(&it.ID, &src, &it.TaskRef, &it.ItemCode, &it.ItemName, &cl, &it.Key, &it.DepartmentID, &it.Result, &it.Note); err != nil {
			return v, fmt.Errorf("visit: get %d: items: %w", id, err)
		}
		it.Source = Source(src)
		_ = json.Unmarshal([]byte(cl), &it.Checklist)
		v.Items = append(v.Items, it)
	}
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("visit: get %d: items: %w", id, err)
	}
	rows.Close()
	irows, err := store.Query(ctx, tx, `SELECT user_id FROM visit_inspectors WHERE visit_id = ? ORDER BY user_id`, id)
	if err != nil {
		return v, fmt.Errorf("visit: get %d: inspectors: %w", id, err)
	}
	defer irows.Close()
	for irows.Next() {
		var u int64
		if err := irows.Scan(&u); err != nil {
			return v, fmt.Errorf("visit: get %d: inspectors: %w", id, err)
		}
		v.InspectorUserIDs = append(v.InspectorUserIDs, u)
	}
	return v, irows.Err()
}

// VisitsOf returns the ids of the visits of a business, oldest first.
func (s *Service) VisitsOf(ctx context.Context, tx store.IDB, uscc string) ([]int64, error) {
	rows, err := store.Query(ctx, tx, `SELECT id FROM visits WHERE uscc = ? ORDER BY id`, ids.NormalizeUSCC(uscc))
	if err != nil {
		return nil, fmt.Errorf("visit: visits of %s: %w", uscc, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ItemResult is the result recorded for one item of a visit.
type ItemResult struct {
	ItemID int64
	Result string // a StandardResults code
	Note   string
}

// Outcome says what recording the results did.
type Outcome struct {
	Replayed    bool // the idempotency key was seen before: nothing changed
	Unreachable bool // some item found the business unreachable: it goes on the abnormal list
}

// Complete records the results of every item of an assigned visit and
// starts the publication limit: PublishDueOn is the close of the
// PublishWorkingDays-th working day after the day of completion. A
// submission with a key seen before is a no-op (Outcome.Replayed), so a
// phone may re-send its outbox safely.
func (s *Service) Complete(ctx context.Context, tx store.IDB, visitID int64, key string, results []ItemResult) (Outcome, error) {
	var out Outcome
	var p valid.Problems
	if k := strings.TrimSpace(key); k == "" || len(k) > 100 {
		p.Add("idempotency_key", "必填，最多100字符 (required, at most 100 characters)")
	} else if err := valid.Text("idempotency_key", k); err != nil {
		p = append(p, err)
	}
	if err := p.Err(); err != nil {
		return out, err
	}
	var seen int
	if err := store.QueryRow(ctx, tx, `SELECT COUNT(*) FROM visit_submissions WHERE idempotency_key = ?`, key).Scan(&seen); err != nil {
		return out, fmt.Errorf("visit: complete: %w", err)
	}
	if seen > 0 {
		out.Replayed = true
		return out, nil
	}
	v, err := s.Get(ctx, tx, visitID)
	if err != nil {
		return out, err
	}
	if v.Status != StatusAssigned {
		p.Add("visit", "检查已完成 (the visit is already completed)")
		return out, p.Err()
	}
	got := map[int64]ItemResult{}
	for i, r := range results {
		if _, ok := resultByCode(r.Result); !ok {
			p.Add(fmt.Sprintf("results[%d].result", i), "检查结果不正确 (unknown result %q)", r.Result)
		}
		if len([]rune(r.Note)) > 2000 {
			p.Add(fmt.Sprintf("results[%d].note", i), "过长，最多2000字 (at most 2000 characters)")
		} else if err := valid.Text(fmt.Sprintf("results[%d].note", i), r.Note); err != nil {
			p = append(p, err)
		}
		got[r.ItemID] = r
	}
	for _, it := range v.Items {
		if _, ok := got[it.ID]; !ok {
			p.Add(fmt.Sprintf("results[item %d]", it.ID), "缺少该事项的检查结果 (no result for item %s)", it.ItemCode)
		}
	}
	if len(got) != len(v.Items) || len(results) != len(got) {
		p.Add("results", "检查结果与事项不一致 (results must name each item of the visit once)")
	}
	if err := p.Err(); err != nil {
		return out, err
	}
	for _, it := range v.Items {
		r := got[it.ID]
		if std, _ := resultByCode(r.Result); std.Unreachable {
			out.Unreachable = true
		}
		if _, err := store.Exec(ctx, tx, `UPDATE visit_assignments SET result = ?, note = ? WHERE id = ?`, r.Result, r.Note, it.ID); err != nil {
			return out, fmt.Errorf("visit: complete: item: %w", err)
		}
	}
	now := s.now()
	done := now.In(calendar.CST).Format(calendar.DateLayout)
	due := s.cal().AddWorkingDays(now, s.cfg.PublishWorkingDays).In(calendar.CST).Format(calendar.DateLayout)
	if _, err := store.Exec(ctx, tx, `UPDATE visits SET status = ?, completed_on = ?, publish_due_on = ? WHERE id = ?`,
		StatusCompleted, done, due, visitID); err != nil {
		return out, fmt.Errorf("visit: complete: %w", err)
	}
	if _, err := store.Exec(ctx, tx, `INSERT INTO visit_submissions (idempotency_key, visit_id, created_at) VALUES (?, ?, ?)`,
		key, visitID, store.Time(now)); err != nil {
		return out, fmt.Errorf("visit: complete: key: %w", err)
	}
	return out, nil
}

// Publish marks a completed (or overdue) visit's results published today.
func (s *Service) Publish(ctx context.Context, tx store.IDB, visitID int64) error {
	today := s.now().In(calendar.CST).Format(calendar.DateLayout)
	res, err := store.Exec(ctx, tx, `UPDATE visits SET status = ?, published_on = ? WHERE id = ? AND status IN (?, ?)`,
		StatusPublished, today, visitID, StatusCompleted, StatusOverdue)
	if err != nil {
		return fmt.Errorf("visit: publish %d: %w", visitID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Sweep flags as overdue every completed visit whose publication limit has
// passed (today is after PublishDueOn) and returns their ids.
func (s *Service) Sweep(ctx context.Context, tx store.IDB) ([]int64, error) {
	today := s.now().In(calendar.CST).Format(calendar.DateLayout)
	rows, err := store.Query(ctx, tx, `SELECT id FROM visits WHERE status = ? AND publish_due_on < ? ORDER BY id`, StatusCompleted, today)
	if err != nil {
		return nil, fmt.Errorf("visit: sweep: %w", err)
	}
	var late []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("visit: sweep: %w", err)
		}
		late = append(late, id)
	}
	rows.Close()
	for _, id := range late {
		if _, err := store.Exec(ctx, tx, `UPDATE visits SET status = ? WHERE id = ?`, StatusOverdue, id); err != nil {
			return nil, fmt.Errorf("visit: sweep: %w", err)
		}
	}
	return late, nil
}

// Figure counts, for one department and month (YYYY-MM) of assignment, the
// assignments, the visits they went to and the visits saved by merging.
type Figure struct {
	DepartmentID int64
	Month        string
	Assignments  int
	Visits       int
}

// Saved is the number of visits merging saved (assignments − visits).
func (f Figure) Saved() int { return f.Assignments - f.Visits }

// Figures returns the figures by department and month.
func (s *Service) Figures(ctx context.Context, tx store.IDB) ([]Figure, error) {
	rows, err := store.Query(ctx, tx, `SELECT department_id, visit_id, created_at FROM visit_assignments ORDER BY department_id, id`)
	if err != nil {
		return nil, fmt.Errorf("visit: figures: %w", err)
	}
	defer rows.Close()
	type key struct {
		d int64
		m string
	}
	figs := map[key]*Figure{}
	visits := map[key]map[int64]bool{}
	var order []key
	for rows.Next() {
		var d, v int64
		var at time.Time
		if err := rows.Scan(&d, &v, &at); err != nil {
			return nil, fmt.Errorf("visit: figures: %w", err)
		}
		k := key{d, at.In(calendar.CST).Format("2006-01")}
		f := figs[k]
		if f == nil {
			f = &Figure{DepartmentID: d, Month: k.m}
			figs[k] = f
			visits[k] = map[int64]bool{}
			order = append(order, k)
		}
		f.Assignments++
		if !visits[k][v] {
			visits[k][v] = true
			f.Visits++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("visit: figures: %w", err)
	}
	out := make([]Figure, 0, len(order))
	for _, k := range order {
		out = append(out, *figs[k])
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DepartmentID != out[j].DepartmentID {
			return out[i].DepartmentID < out[j].DepartmentID
		}
		return out[i].Month < out[j].Month
	})
	return out, nil
}
