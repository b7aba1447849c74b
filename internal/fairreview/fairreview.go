// Package fairreview carries a draft policy measure through the
// fair-competition review (公平竞争审查) of the 公平竞争审查条例 (国务院令第783号):
// registration by the drafting unit, self-review (第十三条) against the
// standards of 第八条 to 第十一条 with the screener's findings, hearing of
// businesses and the public (第十六条), the exception (第十二条, explained per
// 第十七条), 会同审查 by the market-regulation department (第十四条), the legal
// department's re-review (双审制), the conclusion, issuing (第十八条), spot
// checks (第二十一条) and public reports (第二十二条).
//
// The automatic screening engine lives in internal/fairscreen; this package
// takes it through the Screener interface.
package fairreview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/fairscreen"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// Statuses of a measure.
const (
	StatusNoReview    = "no_review"    // 无需审查
	StatusSelfReview  = "self_review"  // 起草单位自审
	StatusJointReview = "joint_review" // 会同审查（市场监管部门）
	StatusLegalReview = "legal_review" // 法制审核（双审制）
	StatusConcluded   = "concluded"    // 已出具审查结论
	StatusIssued      = "issued"       // 已出台
)

// Conclusions (审查结论).
const (
	ConclusionAllow     = "allow"     // 符合公平竞争审查标准，可以出台
	ConclusionException = "exception" // 适用例外规定（第十二条），可以出台
	ConclusionAmend     = "amend"     // 修改后出台
	ConclusionForbid    = "forbid"    // 不得出台（第十八条）
)

// Kinds of measures.
var Kinds = []string{"规章", "规范性文件", "政策措施", "招商引资协议", "招标公告", "其他政策措施"}

// Errors. Field errors carry the field's name.
var (
	ErrNotFound error = notFound{}
	ErrState    error = conflict("fairreview: not allowed in the current state (当前状态不允许此操作)")
	ErrClosed   error = conflict("fairreview: the comment period is not open (不在征求意见期内)")
)

type notFound struct{}

func (notFound) Error() string  { return "fairreview: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type conflict string

func (c conflict) Error() string { return string(c) }
func (conflict) Conflict() bool  { return true }

// FieldError is bad input in one field; handlers answer 422.
type FieldError struct {
	Name   string
	Reason string
}

func (e *FieldError) Error() string { return e.Name + ": " + e.Reason }

// Field names the field at fault.
func (e *FieldError) Field() string { return e.Name }

// Screener screens a text into clauses with findings (fairscreen.Screen)
// and takes the reviewers' decisions on findings back.
type Screener interface {
	Screen(ctx context.Context, text string) ([]fairscreen.Clause, error)
	Feedback(ctx context.Context, rule, clause string, confirmed bool, reviewer int64) error
}

// Limits are the working-day limits of each step; DefaultLimits gives the
// defaults a city may override.
type Limits struct {
	SelfReview  int `json:"self_review"`
	JointReview int `json:"joint_review"`
	LegalReview int `json:"legal_review"`
	Report      int `json:"report"`
	MinComment  int `json:"min_comment"`
}

// DefaultLimits: self-review 10, 会同审查 15, 法制审核 10 working days; a public
// report is answered within 15 working days; a comment period runs at least
// 5 working days.
func DefaultLimits() Limits {
	return Limits{SelfReview: 10, JointReview: 15, LegalReview: 10, Report: 15, MinComment: 5}
}

// Actor is who acts: a user of one department in one region.
type Actor struct {
	UserID int64
	// Name is shown in the audit log as recorded.
	Name         string
	DepartmentID int64
	Region       string
	// Office marks staff of the market-regulation department's review office.
	Office bool
	// Legal marks the legal department (法制审核, auth.RoleLegal).
	Legal bool
	// Supervisor reads everything of the region.
	Supervisor bool
}

// Deps are the services the module uses.
type Deps struct {
	DB       *store.DB
	Audit    *audit.Log
	Screener Screener
	Box      *pii.Box
	Calendar *calendar.Calendar
	Limits   Limits
	Now      func() time.Time
	// IsOffice reports whether a department is a market-regulation
	// department whose staff work in the review office (会同审查).
	IsOffice func(ctx context.Context, departmentID int64) bool
	// DepartmentName names a department on pages and in exports.
	DepartmentName func(ctx context.Context, departmentID int64) string
	// PublicWrites limits the public's comments and reports per client
	// address, counted in the database so that every node shares the
	// count; zero means 5 in 100 seconds.
	PublicWrites PublicWrites
}

// PublicWrites is a rate: at most Burst writes in a window of Burst × Every
// (5 writes, then the client waits out the 100 seconds).
type PublicWrites struct {
	Every time.Duration
	Burst int
}

// Module is the review service, its pages and its API.
type Module struct {
	d Deps
	s *web.Server
	// writes brakes the public's comments and reports per address.
	writes *store.Limiter
}

// New checks d and returns the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Audit == nil || d.Screener == nil || d.Box == nil {
		return nil, errors.New("fairreview: DB, Audit, Screener and Box are required")
	}
	if d.Calendar == nil {
		d.Calendar = calendar.New(calendar.Official())
	}
	if d.Limits == (Limits{}) {
		d.Limits = DefaultLimits()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PublicWrites.Every <= 0 || d.PublicWrites.Burst <= 0 {
		d.PublicWrites = PublicWrites{Every: 20 * time.Second, Burst: 5}
	}
	window := time.Duration(d.PublicWrites.Burst) * d.PublicWrites.Every
	return &Module{d: d, writes: store.NewLimiter(d.DB, "fairreview.public", d.PublicWrites.Burst, window)}, nil
}

// allowWrite counts one public write of the request's client address and
// says whether it is within PublicWrites, and if not how long to wait. A
// failing count lets the write through: the limit brakes abuse, it must
// not take the public's comments down with the database's hiccups.
func (m *Module) allowWrite(ctx context.Context) (bool, time.Duration) {
	ok, wait, err := m.writes.Allow(ctx, web.ClientAddr(ctx), m.d.Now())
	if err != nil {
		return true, 0
	}
	return ok, wait
}

func (m *Module) today() string { return m.d.Now().In(calendar.CST).Format(calendar.DateLayout) }

func (m *Module) due(n int) string {
	s, err := calendar.DueDate(m.d.Calendar, m.today(), n)
	if err != nil {
		return m.today()
	}
	return s
}

// Measure is a stored draft measure.
type Measure struct {
	ID             int64               `json:"id"`
	DepartmentID   int64               `json:"department_id"`
	Region         string              `json:"region_code"`
	Kind           string              `json:"kind"`
	Title          string              `json:"title"`
	Body           string              `json:"body"`
	Touches        bool                `json:"touches"`
	NoReviewReason string              `json:"no_review_reason,omitempty"`
	CountyLevel    bool                `json:"county_level"`
	ToCongress     bool                `json:"to_congress"`
	Status         string              `json:"status"`
	Clauses        []fairscreen.Clause `json:"clauses"`
	SelfReview     string              `json:"self_review,omitempty"`
	Exception      string              `json:"exception,omitempty"`
	JointOpinion   string              `json:"joint_opinion,omitempty"`
	LegalOpinion   string              `json:"legal_opinion,omitempty"`
	Conclusion     string              `json:"conclusion,omitempty"`
	ReviewedBody   string              `json:"reviewed_body,omitempty"`
	IssuedBody     string              `json:"issued_body,omitempty"`
	CommentFrom    string              `json:"comment_from,omitempty"`
	CommentUntil   string              `json:"comment_until,omitempty"`
	StageDueOn     string              `json:"stage_due_on,omitempty"`
	IssuedOn       string              `json:"issued_on,omitempty"`
}

// Joint reports whether the measure goes to 会同审查 (第十四条).
func (ms *Measure) Joint() bool { return ms.CountyLevel || ms.ToCongress }

// Draft is what a drafting unit registers.
type Draft struct {
	Kind           string `json:"kind"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	Touches        bool   `json:"touches"`
	NoReviewReason string `json:"no_review_reason"`
	CountyLevel    bool   `json:"county_level"`
	ToCongress     bool   `json:"to_congress"`
}

// checkText refuses empty or over-long text and control characters other
// than newlines and tabs.
func checkText(field, s string, max int, required bool) error {
	if strings.TrimSpace(s) == "" {
		if required {
			return &FieldError{field, "必填 (required)"}
		}
		return nil
	}
	if len([]rune(s)) > max {
		return &FieldError{field, fmt.Sprintf("超过 %d 字 (too long)", max)}
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return &FieldError{field, "含控制字符 (control character)"}
		}
	}
	return nil
}

// Register records a draft of the actor's department and screens its text.
// A draft that does not touch businesses' economic activity needs a reason
// and is recorded as needing no review.
func (m *Module) Register(ctx context.Context, a Actor, d Draft) (*Measure, error) {
	if !contains(Kinds, d.Kind) {
		return nil, &FieldError{"kind", "未知类型 (unknown kind)"}
	}
	if err := checkText("title", d.Title, 200, true); err != nil {
		return nil, err
	}
	if err := checkText("body", d.Body, 200000, true); err != nil {
		return nil, err
	}
	if err := checkText("no_review_reason", d.NoReviewReason, 2000, !d.Touches); err != nil {
		return nil, err
	}
	status, due := StatusSelfReview, m.due(m.d.Limits.SelfReview)
	clauses := []fairscreen.Clause{}
	if !d.Touches {
		status, due = StatusNoReview, ""
	} else {
		var err error
		if clauses, err = m.d.Screener.Screen(ctx, d.Body); err != nil {
			return nil, fmt.Errorf("fairreview: screen: %w", err)
		}
	}
	fj, _ := json.Marshal(clauses)
	var id int64
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		err := store.QueryRow(ctx, tx, `INSERT INTO fr_measures (department_id, region_code, kind, title, body, touches,
		no_review_reason, county_level, to_congress, status, findings, stage_due_on, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.DepartmentID, a.Region, d.Kind, d.Title, d.Body, d.Touches, d.NoReviewReason, d.CountyLevel, d.ToCongress,
			status, string(fj), due, a.UserID, m.d.Now().UTC()).Scan(&id)
		if err != nil {
			return fmt.Errorf("fairreview: register: %w", err)
		}
		return m.audit(ctx, tx, a, "register", "fr_measure", id, a.Region, map[string]any{"kind": d.Kind, "status": status})
	})
	if err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const measureCols = `id, department_id, region_code, kind, title, body, touches, no_review_reason, county_level, to_congress,
	status, findings, self_review, exception, joint_opinion, legal_opinion, conclusion, reviewed_body, issued_body,
	comment_from, comment_until, stage_due_on, issued_on`

func scanMeasure(row interface{ Scan(...any) error }) (*Measure, error) {
	var ms Measure
	var fj string
	err := row.Scan(&ms.ID, &ms.DepartmentID, &ms.Region, &ms.Kind, &ms.Title, &ms.Body, &ms.Touches, &ms.NoReviewReason,
		&ms.CountyLevel, &ms.ToCongress, &ms.Status, &fj, &ms.SelfReview, &ms.Exception, &ms.JointOpinion, &ms.LegalOpinion,
		&ms.Conclusion, &ms.ReviewedBody, &ms.IssuedBody, &ms.CommentFrom, &ms.CommentUntil, &ms.StageDueOn, &ms.IssuedOn)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fj), &ms.Clauses); err != nil {
		return nil, fmt.Errorf("fairreview: findings: %w", err)
	}
	return &ms, nil
}

func (m *Module) load(ctx context.Context, db store.IDB, id int64) (*Measure, error) {
	ms, err := scanMeasure(store.QueryRow(ctx, db, `SELECT `+measureCols+` FROM fr_measures WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("fairreview: load %d: %w", id, err)
	}
	return ms, nil
}

// visible reports whether a sees ms: the drafting department always; the
// review office, the legal department and supervisors within their region.
func visible(a Actor, ms *Measure) bool {
	if a.DepartmentID == ms.DepartmentID {
		return true
	}
	return (a.Office || a.Legal || a.Supervisor) && strings.HasPrefix(ms.Region, regionPrefix(a.Region))
}

// Get returns the measure if a may see it, ErrNotFound otherwise.
func (m *Module) Get(ctx context.Context, a Actor, id int64) (*Measure, error) {
	ms, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !visible(a, ms) {
		return nil, ErrNotFound
	}
	return ms, nil
}

// List returns up to limit measures a sees with id below before (0: from
// the newest), newest first, whose title contains q.
func (m *Module) List(ctx context.Context, a Actor, q string, before int64, limit int) ([]*Measure, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	if before <= 0 {
		before = 1 << 62
	}
	args := []any{before}
	where := "id < ?"
	if a.Office || a.Legal || a.Supervisor {
		where += " AND (department_id = ? OR region_code LIKE ?)"
		args = append(args, a.DepartmentID, regionPrefix(a.Region)+"%")
	} else {
		where += " AND department_id = ?"
		args = append(args, a.DepartmentID)
	}
	if q != "" {
		where += " AND title LIKE ?"
		args = append(args, "%"+q+"%")
	}
	args = append(args, limit)
	rows, err := store.Query(ctx, m.d.DB, `SELECT `+measureCols+` FROM fr_measures WHERE `+where+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("fairreview: list: %w", err)
	}
	return collect(rows)
}

// regionPrefix is the prefix a GB/T 2260 code shares with the regions it
// contains: trailing "00" pairs dropped, so 530100 (a city) covers 530102.
func regionPrefix(code string) string {
	for len(code) > 2 && strings.HasSuffix(code, "00") {
		code = code[:len(code)-2]
	}
	return code
}
