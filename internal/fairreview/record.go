package fairreview

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/fumiama/go-docx"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/store"
)

// audit appends the entry of one state change in tx, so that it commits
// with the change.
func (m *Module) audit(ctx context.Context, tx store.IDB, a Actor, action, objectType string, id int64, region string, detail map[string]any) error {
	name := a.Name
	if a.UserID == 0 && name == "" {
		name = "公众"
	}
	if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: name, Action: "fairreview." + action,
		ObjectType: objectType, ObjectID: strconv.FormatInt(id, 10), RegionCode: region, Detail: detail}); err != nil {
		return fmt.Errorf("fairreview: audit %s: %w", action, err)
	}
	return nil
}

// change runs one update of measure ms and its audit entry in one
// transaction.
func (m *Module) change(ctx context.Context, a Actor, action string, ms *Measure, detail map[string]any, query string, args ...any) error {
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := store.Exec(ctx, tx, query, args...); err != nil {
			return fmt.Errorf("fairreview: %s: %w", action, err)
		}
		return m.audit(ctx, tx, a, action, "fr_measure", ms.ID, ms.Region, detail)
	})
}

// DocxText returns the text of a .docx document, one paragraph a line and
// one table row a line, read with github.com/fumiama/go-docx.
func DocxText(data []byte) (string, error) {
	doc, err := docx.Parse(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", &FieldError{"file", "无法读取 .docx 文件 (not a readable .docx document)"}
	}
	var b strings.Builder
	for _, it := range doc.Document.Body.Items {
		switch x := it.(type) {
		case *docx.Paragraph:
			b.WriteString(x.String())
			b.WriteByte('\n')
		case *docx.Table:
			b.WriteString(x.String())
			b.WriteByte('\n')
		}
	}
	return strings.TrimSpace(b.String()), nil
}

// Queue returns the measures waiting for a's step, the oldest limit
// first: 会同审查 for the review office, 法制审核 for the legal department.
func (m *Module) Queue(ctx context.Context, a Actor) ([]*Measure, error) {
	var statuses []any
	if a.Office {
		statuses = append(statuses, StatusJointReview)
	}
	if a.Legal {
		statuses = append(statuses, StatusLegalReview)
	}
	if a.Supervisor {
		statuses = append(statuses, StatusSelfReview, StatusJointReview, StatusLegalReview)
	}
	if len(statuses) == 0 {
		return nil, ErrNotFound
	}
	args := append(statuses, regionPrefix(a.Region)+"%")
	rows, err := store.Query(ctx, m.d.DB, `SELECT `+measureCols+` FROM fr_measures WHERE status IN (?`+strings.Repeat(", ?", len(statuses)-1)+`)
		AND region_code LIKE ? ORDER BY stage_due_on, id LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("fairreview: queue: %w", err)
	}
	return collect(rows)
}

func collect(rows *sql.Rows) ([]*Measure, error) {
	defer rows.Close()
	out := []*Measure{}
	for rows.Next() {
		ms, err := scanMeasure(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ms)
	}
	return out, rows.Err()
}

// Overdue reports whether the measure's current step is past its limit on
// today.
func (ms *Measure) Overdue(today string) bool { return ms.StageDueOn != "" && today > ms.StageDueOn }

// Today is the current date on the calendar (YYYY-MM-DD).
func (m *Module) Today() string { return m.today() }

// OpenForComment lists the measures whose comment period (第十六条) runs
// today, newest first: what the public comment page shows.
func (m *Module) OpenForComment(ctx context.Context) ([]*Measure, error) {
	t := m.today()
	rows, err := store.Query(ctx, m.d.DB, `SELECT `+measureCols+` FROM fr_measures WHERE comment_from <> '' AND comment_from <= ?
		AND comment_until >= ? AND status <> ? ORDER BY id DESC LIMIT 200`, t, t, StatusIssued)
	if err != nil {
		return nil, fmt.Errorf("fairreview: open for comment: %w", err)
	}
	return collect(rows)
}

// PublicMeasure returns a measure the public may read: in its comment
// period, or issued.
func (m *Module) PublicMeasure(ctx context.Context, id int64) (*Measure, error) {
	ms, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	t := m.today()
	open := ms.CommentFrom != "" && ms.CommentFrom <= t && t <= ms.CommentUntil && ms.Status != StatusIssued
	if !open && ms.Status != StatusIssued {
		return nil, ErrNotFound
	}
	return ms, nil
}

// CommentOpen reports whether the measure takes comments today.
func (m *Module) CommentOpen(ms *Measure) bool {
	t := m.today()
	return ms.CommentFrom != "" && ms.CommentFrom <= t && t <= ms.CommentUntil && ms.Status != StatusIssued
}

// Issued lists issued measures whose title contains q, newest first, for
// the public report form; stock documents (存量清理) included.
func (m *Module) Issued(ctx context.Context, q string, before int64, limit int) ([]*Measure, error) {
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT `+measureCols+` FROM fr_measures WHERE status = ? AND id < ? AND title LIKE ?
		ORDER BY id DESC LIMIT ?`, StatusIssued, before, "%"+q+"%", limit)
	if err != nil {
		return nil, fmt.Errorf("fairreview: issued: %w", err)
	}
	return collect(rows)
}

// Reports lists the public reports on measures of a's region for the
// review office and supervisors, unanswered first.
func (m *Module) Reports(ctx context.Context, a Actor) ([]*Report, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT r.id, r.measure_id, r.token, r.body, r.phone_enc, r.received_on, r.due_on, r.answer,
		r.answered_on FROM fr_reports r JOIN fr_measures ms ON ms.id = r.measure_id WHERE ms.region_code LIKE ?
		ORDER BY CASE WHEN r.answered_on = '' THEN 0 ELSE 1 END, r.due_on, r.id LIMIT 500`, regionPrefix(a.Region)+"%")
	if err != nil {
		return nil, fmt.Errorf("fairreview: reports: %w", err)
	}
	defer rows.Close()
	out := []*Report{}
	for rows.Next() {
		r, err := m.scanReport(rows)
		if err != nil {
			return nil, err
		}
		r.Token = ""
		out = append(out, r)
	}
	return out, rows.Err()
}

// SpotCheckRecord is a stored draw of 第二十一条.
type SpotCheckRecord struct {
	ID    int64   `json:"id"`
	Seed  string  `json:"seed"`
	Drawn []int64 `json:"drawn"`
	At    string  `json:"at"`
}

// SpotChecks lists the draws made, newest first.
func (m *Module) SpotChecks(ctx context.Context, a Actor) ([]SpotCheckRecord, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT id, seed, drawn, created_at FROM fr_spot_checks ORDER BY id DESC LIMIT 100`)
	if err != nil {
		return nil, fmt.Errorf("fairreview: spot checks: %w", err)
	}
	defer rows.Close()
	out := []SpotCheckRecord{}
	for rows.Next() {
		var r SpotCheckRecord
		var seed int64
		var drawn string
		var at sql.NullTime
		if err := rows.Scan(&r.ID, &seed, &drawn, &at); err != nil {
			return nil, err
		}
		r.Seed = strconv.FormatUint(uint64(seed), 10)
		_ = json.Unmarshal([]byte(drawn), &r.Drawn)
		if at.Valid {
			r.At = at.Time.Format("2006-01-02 15:04")
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Kinds of accountability (约谈—通报—考核扣分).
const (
	AccountInterview = "interview" // 约谈 (第二十四条)
	AccountNotice    = "notice"    // 通报
	AccountDeduction = "deduction" // 考核扣分
)

// Accountability is one step taken against a drafting unit whose measure
// was found in violation.
type Accountability struct {
	ID           int64  `json:"id"`
	DepartmentID int64  `json:"department_id"`
	MeasureID    int64  `json:"measure_id"`
	Kind         string `json:"kind" enum:"interview,notice,deduction"`
	Points       int    `json:"points"`
	Note         string `json:"note"`
	HeldOn       string `json:"held_on"`
}

// violated reports whether a measure was found in violation: a conclusion
// that does not allow it, confirmed findings, or a stock document to amend
// or repeal.
func violated(ms *Measure) bool {
	switch ms.Conclusion {
	case ConclusionAmend, ConclusionForbid, "stock:" + VerdictAmend, "stock:" + VerdictRepeal:
		return true
	}
	return confirmedFindings(ms) > 0
}

// Hold records 约谈, 通报 or 考核扣分 of the drafting unit of measure id; only
// supervisors and the review office, and only for a measure found in
// violation. A deduction needs 1 to 100 points.
func (m *Module) Hold(ctx context.Context, a Actor, id int64, kind string, points int, note string) (*Accountability, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !violated(ms) {
		return nil, conflict("fairreview: the measure was not found in violation (该政策措施未被认定违反审查标准)")
	}
	switch kind {
	case AccountInterview, AccountNotice:
		points = 0
	case AccountDeduction:
		if points < 1 || points > 100 {
			return nil, &FieldError{"points", "扣分应为 1 至 100 (points 1 to 100)"}
		}
	default:
		return nil, &FieldError{"kind", "未知类型 (unknown kind)"}
	}
	if err := checkText("note", note, 5000, true); err != nil {
		return nil, err
	}
	r := Accountability{DepartmentID: ms.DepartmentID, MeasureID: id, Kind: kind, Points: points, Note: note, HeldOn: m.today()}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := store.QueryRow(ctx, tx, `INSERT INTO fr_accountability (department_id, region_code, measure_id, kind, points, note, held_on,
			created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.DepartmentID, ms.Region, id, kind, points, note,
			r.HeldOn, a.UserID, m.d.Now().UTC()).Scan(&r.ID); err != nil {
			return fmt.Errorf("fairreview: accountability: %w", err)
		}
		return m.audit(ctx, tx, a, "accountability."+kind, "fr_measure", id, ms.Region, map[string]any{"points": points})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Accountabilities lists what was recorded in a's region, newest first.
func (m *Module) Accountabilities(ctx context.Context, a Actor) ([]Accountability, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT id, department_id, measure_id, kind, points, note, held_on FROM fr_accountability
		WHERE region_code LIKE ? ORDER BY id DESC LIMIT 500`, regionPrefix(a.Region)+"%")
	if err != nil {
		return nil, fmt.Errorf("fairreview: accountability: %w", err)
	}
	defer rows.Close()
	out := []Accountability{}
	for rows.Next() {
		var r Accountability
		if err := rows.Scan(&r.ID, &r.DepartmentID, &r.MeasureID, &r.Kind, &r.Points, &r.Note, &r.HeldOn); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Violations lists the measures of a's region found in violation, for the
// accountability page.
func (m *Module) Violations(ctx context.Context, a Actor) ([]*Measure, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT `+measureCols+` FROM fr_measures WHERE region_code LIKE ?
		AND (conclusion IN (?, ?, ?, ?) OR self_review LIKE ?) ORDER BY id DESC LIMIT 500`, regionPrefix(a.Region)+"%",
		ConclusionAmend, ConclusionForbid, "stock:"+VerdictAmend, "stock:"+VerdictRepeal, `%"confirmed":true%`)
	if err != nil {
		return nil, fmt.Errorf("fairreview: violations: %w", err)
	}
	all, err := collect(rows)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, ms := range all {
		if violated(ms) {
			out = append(out, ms)
		}
	}
	return out, nil
}
