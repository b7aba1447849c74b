package rating

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/xlsx"
)

// FollowUp is the handling of a bad rating: 核实 (verification), 整改
// (rectification) and 反馈 (the answer to the person), due on DueOn.
type FollowUp struct {
	ID            int64
	RatingID      int64
	DepartmentID  int64
	PersonID      int64
	Status        string
	OpenedOn      string
	DueOn         string
	Verification  string
	Rectification string
	Feedback      string
	AnsweredOn    string
	Level         Level
	Comment       string
	// The rated subject, its item and the window staff member (0 when
	// the rating was not given at a window).
	Subject  Subject
	ItemCode string
	StaffID  int64
	Channel  Channel
	// Overdue: still open after its due date (set by the lists).
	Overdue bool
}

// Answer is what the department records when it closes a follow-up.
type Answer struct {
	Verification  string
	Rectification string
	Feedback      string
}

// AnswerFollowUp records the verification, rectification and the answer
// to the person. Only staff of the responsible department may answer;
// others get ErrNotFound.
func (s *Service) AnswerFollowUp(ctx context.Context, a *auth.Actor, id int64, in Answer) (*FollowUp, error) {
	for _, f := range []struct{ path, v string }{{"verification", in.Verification}, {"rectification", in.Rectification}, {"feedback", in.Feedback}} {
		if err := valid.Text(f.path, f.v); err != nil {
			return nil, err
		}
		if f.v == "" {
			return nil, &valid.FieldError{Path: f.path, Message: "必填 (required)"}
		}
		if len([]rune(f.v)) > 2000 {
			return nil, &valid.FieldError{Path: f.path, Message: "不得超过2000字 (at most 2000 characters)"}
		}
	}
	var out *FollowUp
	err := s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		f, err := s.followUp(ctx, tx, id)
		if err != nil {
			return err
		}
		if a == nil || !actsFor(a, f.DepartmentID) {
			return ErrNotFound
		}
		if f.Status != FollowOpen {
			return ErrAnswered
		}
		on := s.d.Now().In(calendar.CST).Format(calendar.DateLayout)
		// Free text may carry ID or phone numbers: they are masked before storing.
		in.Verification, in.Rectification, in.Feedback = pii.MaskText(in.Verification), pii.MaskText(in.Rectification), pii.MaskText(in.Feedback)
		if _, err := store.Exec(ctx, tx, `UPDATE rating_followups SET status = ?, verification = ?, rectification = ?, feedback = ?,
			answered_on = ?, answered_by = ? WHERE id = ? AND status = ?`, FollowAnswered, in.Verification, in.Rectification,
			in.Feedback, on, a.UserID, id, FollowOpen); err != nil {
			return fmt.Errorf("rating: answer follow-up: %w", err)
		}
		if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "rating.follow_up.answer",
			ObjectType: "rating_followup", ObjectID: strconv.FormatInt(id, 10), Detail: map[string]any{"rating_id": f.RatingID,
				"due_on": f.DueOn, "answered_on": on}}); err != nil {
			return err
		}
		if f.PersonID != 0 {
			// The person who rated is told the answer is there.
			if err := outbox.Add(ctx, tx, s.d.Now(), TopicAnswered, AnsweredEvent{FollowUpID: id, PersonID: f.PersonID}); err != nil {
				return fmt.Errorf("rating: answer follow-up: %w", err)
			}
		}
		out, err = s.followUp(ctx, tx, id)
		return err
	})
	return out, err
}

// FollowUpsOfPerson lists the follow-ups of the person's bad ratings, so
// the answer reaches the person who rated.
func (s *Service) FollowUpsOfPerson(ctx context.Context, personID int64) ([]FollowUp, error) {
	if personID == 0 {
		return nil, nil
	}
	return s.followUps(ctx, `f.person_id = ?`, personID)
}

// FollowUpsOfDepartment lists a department's follow-ups, open first, for
// its staff.
func (s *Service) FollowUpsOfDepartment(ctx context.Context, a *auth.Actor, dept int64) ([]FollowUp, error) {
	if a == nil || !actsFor(a, dept) {
		return nil, ErrNotFound
	}
	return s.followUps(ctx, `f.department_id = ?`, dept)
}

const followCols = `f.id, f.rating_id, f.department_id, f.person_id, f.status, f.opened_on, f.due_on, f.verification,
	f.rectification, f.feedback, f.answered_on, r.level, r.comment, r.subject_kind, r.subject_id, r.event, r.item_code,
	r.staff_id, r.channel FROM rating_followups f JOIN ratings r ON r.id = f.rating_id`

func (s *Service) followUps(ctx context.Context, where string, arg any) ([]FollowUp, error) {
	rows, err := store.Query(ctx, s.d.DB, `SELECT `+followCols+` WHERE `+where+` ORDER BY f.status DESC, f.id DESC LIMIT 200`, arg)
	if err != nil {
		return nil, fmt.Errorf("rating: follow-ups: %w", err)
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		f, err := scanFollowUp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *f)
	}
	return out, rows.Err()
}

func (s *Service) followUp(ctx context.Context, tx store.IDB, id int64) (*FollowUp, error) {
	f, err := scanFollowUp(store.QueryRow(ctx, tx, `SELECT `+followCols+` WHERE f.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return f, err
}

type scanner interface{ Scan(...any) error }

func scanFollowUp(sc scanner) (*FollowUp, error) {
	var f FollowUp
	var answered sql.NullString
	var level int
	var ch string
	if err := sc.Scan(&f.ID, &f.RatingID, &f.DepartmentID, &f.PersonID, &f.Status, &f.OpenedOn, &f.DueOn, &f.Verification,
		&f.Rectification, &f.Feedback, &answered, &level, &f.Comment, &f.Subject.Kind, &f.Subject.ID, &f.Subject.Event,
		&f.ItemCode, &f.StaffID, &ch); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("rating: follow-up: %w", err)
	}
	f.AnsweredOn, f.Level, f.Channel = answered.String, Level(level), Channel(ch)
	return &f, nil
}

// FollowQuery selects follow-ups for ListFollowUps.
type FollowQuery struct {
	Status       string // "", FollowOpen or FollowAnswered
	Overdue      bool   // only open ones past their due date
	DepartmentID int64  // 0: every department the actor may see
	Limit        int    // 20 when zero, at most 200
	After        store.Cursor
}

// overseers see the follow-ups of every department: the supervisors of
// 好差评 (督办) and the administrators.
func overseer(a *auth.Actor) bool { return a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) }

// scopeOf returns the condition selecting the follow-ups actor a may see
// and its arguments: a department's staff see their departments', the
// overseers all; anyone else gets auth.ErrForbidden.
func scopeOf(a *auth.Actor, dept int64) (string, []any, error) {
	if a == nil || !a.IsStaff() {
		return "", nil, auth.ErrForbidden
	}
	if dept != 0 {
		if !overseer(a) && !actsFor(a, dept) {
			return "", nil, auth.ErrForbidden
		}
		return "f.department_id = ?", []any{dept}, nil
	}
	if overseer(a) {
		return "1 = 1", nil, nil
	}
	if len(a.DepartmentIDs) == 0 {
		return "", nil, auth.ErrForbidden
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(a.DepartmentIDs)), ", ")
	args := make([]any, len(a.DepartmentIDs))
	for i, d := range a.DepartmentIDs {
		args[i] = d
	}
	return "f.department_id IN (" + marks + ")", args, nil
}

// ListFollowUps returns a page of the follow-ups actor a may see, newest
// first, and where the list ends (a keyset page by id, counted up to
// store.CountBound).
func (s *Service) ListFollowUps(ctx context.Context, a *auth.Actor, q FollowQuery) ([]FollowUp, store.Page, error) {
	cond, args, err := scopeOf(a, q.DepartmentID)
	if err != nil {
		return nil, store.Page{}, err
	}
	today := s.today()
	switch {
	case q.Overdue:
		cond, args = cond+" AND f.status = ? AND f.due_on < ?", append(args, FollowOpen, today)
	case q.Status == FollowOpen || q.Status == FollowAnswered:
		cond, args = cond+" AND f.status = ?", append(args, q.Status)
	case q.Status != "":
		return nil, store.Page{}, &valid.FieldError{Path: "status", Message: "须为 open 或 answered (must be open or answered)"}
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, 200)
	from := ` FROM rating_followups f JOIN ratings r ON r.id = f.rating_id WHERE ` + cond
	var pg store.Page
	if pg.Count, err = store.CountUpTo(ctx, s.d.DB, `SELECT f.id`+from, args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("rating: follow-ups: %w", err)
	}
	ks, kargs := store.Before("", "f.id", q.After)
	rows, err := store.Query(ctx, s.d.DB, `SELECT `+followCols+` WHERE `+cond+` AND `+ks+` ORDER BY f.id DESC LIMIT ?`,
		append(append(append([]any{}, args...), kargs...), q.Limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("rating: follow-ups: %w", err)
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		f, err := scanFollowUp(rows)
		if err != nil {
			return nil, store.Page{}, err
		}
		f.Overdue = f.Status == FollowOpen && f.DueOn < today
		out = append(out, *f)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Page{}, fmt.Errorf("rating: follow-ups: %w", err)
	}
	if len(out) > q.Limit {
		out = out[:q.Limit]
		pg.Next = store.Cursor{ID: out[len(out)-1].ID}
	}
	return out, pg, nil
}

// FollowUp returns follow-up id if actor a may see it (ErrNotFound
// otherwise, so its existence is not revealed).
func (s *Service) FollowUp(ctx context.Context, a *auth.Actor, id int64) (*FollowUp, error) {
	f, err := s.followUp(ctx, s.d.DB, id)
	if err != nil {
		return nil, err
	}
	if a == nil || !a.IsStaff() || !overseer(a) && !actsFor(a, f.DepartmentID) {
		return nil, ErrNotFound
	}
	f.Overdue = f.Status == FollowOpen && f.DueOn < s.today()
	return f, nil
}

// CanAnswer reports whether a may answer f: staff of its department.
func CanAnswer(a *auth.Actor, f *FollowUp) bool {
	return a != nil && f.Status == FollowOpen && actsFor(a, f.DepartmentID)
}

func (s *Service) today() string { return s.d.Now().In(calendar.CST).Format(calendar.DateLayout) }

// WriteFollowUpsXLSX writes follow-ups as a workbook with Chinese
// headings; names maps department and staff ids to names (it may be nil).
func WriteFollowUpsXLSX(w io.Writer, fs []FollowUp, names func(kind string, id int64) string) error {
	if names == nil {
		names = func(string, int64) string { return "" }
	}
	sh := xlsx.Sheet{Name: "差评整改", Header: []string{"编号", "评价对象", "事项", "部门", "窗口人员", "评价等级", "评价意见",
		"开始日期", "整改期限", "状态", "核实情况", "整改情况", "反馈内容", "反馈日期"}}
	for _, f := range fs {
		status := "待整改"
		switch {
		case f.Status == FollowAnswered:
			status = "已反馈"
		case f.Overdue:
			status = "已超期"
		}
		staff := ""
		if f.StaffID != 0 {
			staff = names("user", f.StaffID)
		}
		sh.Rows = append(sh.Rows, []any{f.ID, subjectLabel(f.Subject), f.ItemCode, names("department", f.DepartmentID), staff,
			levelNames[f.Level], f.Comment, f.OpenedOn, f.DueOn, status, f.Verification, f.Rectification, f.Feedback, f.AnsweredOn})
	}
	if err := xlsx.Write(w, sh); err != nil {
		return fmt.Errorf("rating: xlsx: %w", err)
	}
	return nil
}

// levelNames are the levels' Chinese names, for exports.
var levelNames = map[Level]string{VerySatisfied: "非常满意", Satisfied: "满意", Basic: "基本满意", Dissatisfied: "不满意", VeryDissatisfied: "非常不满意"}

func subjectLabel(s Subject) string {
	if s.Kind == KindHotline {
		return "工单 #" + strconv.FormatInt(s.ID, 10)
	}
	return "申请 #" + strconv.FormatInt(s.ID, 10)
}
