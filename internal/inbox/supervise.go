package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Supervision by hand (督办): beside the escalation ladder the engine runs
// on its own (提醒单, 督办单, 限时督办单, 移交函 when a deadline passes), a
// supervisor of the case's region may remind the department (催办), issue a
// numbered supervision order (督办单) that the department must answer by a
// working day, comment on the case, and record an interview (约谈) with the
// people responsible. Each step is a row of supervision_records, a sentence
// in the case's history, an outbox event that notifies the department (as
// an automatic escalation does) and an audit entry. The case is authorised
// as its subject, by the subject's own module, so a district's supervisor
// reaches only the district's cases.

// The kinds of supervision records.
const (
	KindUrge      = "urge"      // 催办
	KindOrder     = "order"     // 督办单
	KindComment   = "comment"   // 督办意见
	KindInterview = "interview" // 约谈
)

// The states of a supervision order.
const (
	OrderOpen     = "open"     // waiting for the department's answer
	OrderAnswered = "answered" // answered (反馈): closed
)

// Limits of the fields of a record.
const (
	maxBody         = 2000
	maxParticipants = 500
	maxAnswerDays   = 30
)

// ErrAnswered refuses a second answer to a supervision order.
var ErrAnswered = errors.New("inbox: the supervision order has been answered")

// Record is one step of supervision by hand on a case.
type Record struct {
	ID           int64  `json:"id"`
	InstanceID   int64  `json:"case_id" doc:"The workflow case"`
	SubjectType  string `json:"subject_type"`
	SubjectID    int64  `json:"subject_id"`
	RegionCode   string `json:"region_code"`
	Reference    string `json:"reference"`
	Title        string `json:"title"`
	Kind         string `json:"kind" enum:"urge,order,comment,interview"`
	Number       string `json:"number,omitempty" doc:"Number of a supervision order (督办单), e.g. 督办〔2026〕00001号"`
	DepartmentID int64  `json:"department_id,omitempty" doc:"The department the reminder or order is addressed to"`
	Department   string `json:"department,omitempty"`
	Body         string `json:"body" doc:"The reminder's message, the order's reason, the comment, or the interview's outcome"`
	// AnswerDays and AnswerDue: an order is answered by the close of the
	// AnswerDays-th working day after it was issued.
	AnswerDays     int       `json:"answer_days,omitempty"`
	AnswerDue      time.Time `json:"answer_due,omitzero"`
	HeldAt         time.Time `json:"held_at,omitzero" doc:"When an interview took place"`
	Participants   string    `json:"participants,omitempty"`
	Status         string    `json:"status,omitempty" enum:"open,answered,"`
	Answer         string    `json:"answer,omitempty"`
	AnsweredAt     time.Time `json:"answered_at,omitzero"`
	AnsweredByName string    `json:"answered_by_name,omitempty"`
	CreatedByName  string    `json:"created_by_name"`
	CreatedBy      int64     `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
}

// Overdue reports whether an open order's answer date has passed at now.
func (r *Record) Overdue(now time.Time) bool {
	return r.Kind == KindOrder && r.Status == OrderOpen && !r.AnswerDue.IsZero() && now.After(r.AnswerDue)
}

// NewRecord is what a supervisor submits.
type NewRecord struct {
	Kind         string `json:"kind" enum:"urge,order,comment,interview"`
	DepartmentID int64  `json:"department_id,omitempty" doc:"For a reminder or order: one of the case's departments; 0 chooses the lead department"`
	Body         string `json:"body" minLength:"1" maxLength:"2000" doc:"The message, reason, comment or outcome"`
	AnswerDays   int    `json:"answer_days,omitempty" doc:"For an order: working days the department has to answer (1–30)"`
	HeldOn       string `json:"held_on,omitempty" doc:"For an interview: its date, YYYY-MM-DD"`
	Participants string `json:"participants,omitempty" maxLength:"500" doc:"For an interview: who took part"`
}

// check validates n against the case in, returning every problem at once.
func (n *NewRecord) check(in *flow.Instance, now time.Time) (time.Time, error) {
	var p valid.Problems
	n.Body, n.Participants = strings.TrimSpace(n.Body), strings.TrimSpace(n.Participants)
	switch n.Kind {
	case KindUrge, KindOrder, KindComment, KindInterview:
	default:
		p.Add("kind", "督办方式须为催办、督办单、督办意见或约谈之一 (kind must be urge, order, comment or interview)")
	}
	if err := valid.Text("body", n.Body); err != nil {
		p = append(p, err.(*valid.FieldError))
	} else if n.Body == "" || utf8.RuneCountInString(n.Body) > maxBody {
		p.Add("body", "内容须为1至2000字 (body must be 1–2000 characters)")
	}
	if n.Kind == KindUrge || n.Kind == KindOrder {
		if n.DepartmentID == 0 && len(in.DepartmentIDs) > 0 {
			n.DepartmentID = in.DepartmentIDs[0]
		}
		if !slices.Contains(in.DepartmentIDs, n.DepartmentID) {
			p.Add("department_id", "须为该办件的承办部门 (must be one of the case's departments)")
		}
	} else {
		n.DepartmentID = 0
	}
	if n.Kind == KindOrder {
		if n.AnswerDays < 1 || n.AnswerDays > maxAnswerDays {
			p.Add("answer_days", "反馈时限须为1至30个工作日 (answer_days must be 1–30 working days)")
		}
	} else {
		n.AnswerDays = 0
	}
	var held time.Time
	if n.Kind == KindInterview {
		d, err := time.ParseInLocation("2006-01-02", n.HeldOn, cst)
		switch {
		case err != nil:
			p.Add("held_on", "约谈日期须为 YYYY-MM-DD (held_on must be a date, YYYY-MM-DD)")
		case d.After(now):
			p.Add("held_on", "约谈日期不能晚于今天 (held_on cannot be in the future)")
		default:
			held = d.UTC()
		}
		if err := valid.Text("participants", n.Participants); err != nil {
			p = append(p, err.(*valid.FieldError))
		} else if n.Participants == "" || utf8.RuneCountInString(n.Participants) > maxParticipants {
			p.Add("participants", "参加人员须为1至500字 (participants must be 1–500 characters)")
		}
	} else {
		n.HeldOn, n.Participants = "", ""
	}
	return held, p.Err()
}

var cst = time.FixedZone("CST", 8*3600)

const recordCols = `id, instance_id, subject_type, subject_id, region_code, reference, title, kind, number,
	department_id, body, answer_days, answer_due, held_at, participants, status, answer, answered_at,
	answered_by_name, created_by, created_by_name, created_at`

func scanRecord(s interface{ Scan(...any) error }) (*Record, error) {
	var r Record
	var due, held, answered sql.NullTime
	if err := s.Scan(&r.ID, &r.InstanceID, &r.SubjectType, &r.SubjectID, &r.RegionCode, &r.Reference, &r.Title,
		&r.Kind, &r.Number, &r.DepartmentID, &r.Body, &r.AnswerDays, &due, &held, &r.Participants, &r.Status,
		&r.Answer, &answered, &r.AnsweredByName, &r.CreatedBy, &r.CreatedByName, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.AnswerDue, r.HeldAt, r.AnsweredAt = store.TimeOf(due), store.TimeOf(held), store.TimeOf(answered)
	r.CreatedAt = r.CreatedAt.UTC()
	return &r, nil
}

// kindNames name the kinds in sentences and headings.
var kindNames = map[string][2]string{
	KindUrge: {"催办", "Reminder"}, KindOrder: {"督办单", "Supervision order"},
	KindComment: {"督办意见", "Comment"}, KindInterview: {"约谈", "Interview"},
}

var kindActions = map[string]string{KindUrge: flow.ActionUrge, KindOrder: flow.ActionOrder,
	KindComment: flow.ActionComment, KindInterview: flow.ActionInterview}

// sentence is the history line of a new record, in Chinese as the case
// history is kept.
func (m *Module) sentence(ctx context.Context, r *Record) string {
	dept := m.departmentName(ctx, r.DepartmentID)
	switch r.Kind {
	case KindUrge:
		return fmt.Sprintf("督办人员%s向%s催办：%s", r.CreatedByName, dept, r.Body)
	case KindOrder:
		return fmt.Sprintf("督办人员%s向%s发出督办单%s，要求最迟于%s反馈。督办事由：%s", r.CreatedByName, dept, r.Number,
			r.AnswerDue.In(cst).Format("2006年1月2日"), r.Body)
	case KindComment:
		return fmt.Sprintf("督办人员%s提出督办意见：%s", r.CreatedByName, r.Body)
	case KindInterview:
		return fmt.Sprintf("督办人员%s记录约谈：%s约谈%s。约谈结果：%s", r.CreatedByName,
			r.HeldAt.In(cst).Format("2006年1月2日"), r.Participants, r.Body)
	}
	return r.Body
}

// superviseCase reads case id for supervisor a: a case whose subject a may
// not read through its module is not found (so its existence is not
// disclosed); a reader who is not a supervisor is refused.
func (m *Module) superviseCase(ctx context.Context, a *auth.Actor, id int64) (*flow.Instance, error) {
	in, _, err := m.loadCase(ctx, a, strconv.FormatInt(id, 10))
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleSupervisor) {
		return nil, fmt.Errorf("inbox: supervise case %d: %w", id, auth.ErrForbidden)
	}
	return in, nil
}

// Supervise records one step of supervision by hand by supervisor a on
// case id, in one transaction with its history line, its event and its
// audit entry, and returns it.
func (m *Module) Supervise(ctx context.Context, a *auth.Actor, id int64, n NewRecord) (*Record, error) {
	if a == nil || !a.Has(auth.RoleSupervisor) {
		return nil, fmt.Errorf("inbox: supervise case %d: %w", id, auth.ErrForbidden)
	}
	in, err := m.superviseCase(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if in.Status == flow.StatusDone {
		return nil, fmt.Errorf("inbox: supervise case %d: %w", id, flow.ErrFinished)
	}
	now := store.Time(m.d.Now())
	held, err := n.check(in, now)
	if err != nil {
		return nil, err
	}
	r := &Record{InstanceID: in.ID, SubjectType: in.SubjectType, SubjectID: in.SubjectID, RegionCode: in.RegionCode,
		Reference: in.Reference, Title: in.Title, Kind: n.Kind, DepartmentID: n.DepartmentID, Body: n.Body,
		AnswerDays: n.AnswerDays, HeldAt: held, Participants: n.Participants,
		CreatedBy: a.UserID, CreatedByName: a.Name, CreatedAt: now}
	if n.Kind == KindOrder {
		r.Status, r.AnswerDue = OrderOpen, m.d.Flow.WorkingDayEnd(now, n.AnswerDays)
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if r.Kind == KindOrder {
			year := strconv.Itoa(now.In(cst).Year())
			var seq int64
			if err := store.QueryRow(ctx, tx, `INSERT INTO supervision_sequences (year, last) VALUES (?, 1)
				ON CONFLICT (year) DO UPDATE SET last = supervision_sequences.last + 1 RETURNING last`, year).Scan(&seq); err != nil {
				return fmt.Errorf("number: %w", err)
			}
			r.Number = fmt.Sprintf("督办〔%s〕%05d号", year, seq)
		}
		if err := store.QueryRow(ctx, tx, `INSERT INTO supervision_records (instance_id, subject_type, subject_id,
			region_code, reference, title, kind, number, department_id, body, answer_days, answer_due, held_at,
			participants, status, created_by, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.InstanceID, r.SubjectType, r.SubjectID, r.RegionCode, r.Reference, r.Title, r.Kind, r.Number,
			r.DepartmentID, r.Body, r.AnswerDays, store.Nullable(r.AnswerDue), store.Nullable(r.HeldAt),
			r.Participants, r.Status, r.CreatedBy, r.CreatedByName, r.CreatedAt).Scan(&r.ID); err != nil {
			return err
		}
		_, err := m.d.Flow.Supervise(ctx, tx, in.ID, kindActions[r.Kind], a, m.sentence(ctx, r), r.event())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: supervise case %d: %w", id, err)
	}
	r.Department = m.departmentName(ctx, r.DepartmentID)
	return r, nil
}

// event is what the outbox event (and the audit entry) carries of r: what
// the notification needs, never the free text of an interview's people.
func (r *Record) event() map[string]any {
	e := map[string]any{"record_id": r.ID, "kind": r.Kind, "department_id": r.DepartmentID,
		"created_by": r.CreatedBy}
	if r.Number != "" {
		e["number"] = r.Number
	}
	if !r.AnswerDue.IsZero() {
		e["answer_due"] = r.AnswerDue.In(cst).Format("2006-01-02")
	}
	if r.Status == OrderAnswered {
		e["answered"] = true
	}
	return e
}

// loadRecord reads record id, without any check of who asks.
func (m *Module) loadRecord(ctx context.Context, db store.IDB, id int64) (*Record, error) {
	r, err := scanRecord(store.QueryRow(ctx, db, "SELECT "+recordCols+" FROM supervision_records WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("inbox: supervision record %d: %w", id, flow.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: supervision record %d: %w", id, err)
	}
	return r, nil
}

// mayRead reports whether a may see record r: a supervisor whose region
// holds the case's, or the staff of the department it is addressed to; in
// both cases only while a may read the case's subject through its module.
func (m *Module) mayRead(ctx context.Context, a *auth.Actor, r *Record) bool {
	if a == nil {
		return false
	}
	regional := a.Has(auth.RoleSupervisor) && a.RegionCode != "" && ids.RegionContains(a.RegionCode, r.RegionCode)
	addressed := r.DepartmentID != 0 && slices.Contains(a.DepartmentIDs, r.DepartmentID) &&
		a.HasAny(auth.RoleHandler, auth.RoleApprover, auth.RoleDispatcher)
	if !regional && !addressed {
		return false
	}
	in, err := m.d.Flow.Instance(ctx, r.InstanceID)
	if err != nil {
		return false
	}
	return m.authorize(ctx, a, auth.ActRead, in) == nil
}

// Record returns supervision record id if a may see it; otherwise it is
// not found.
func (m *Module) Record(ctx context.Context, a *auth.Actor, id int64) (*Record, error) {
	r, err := m.loadRecord(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.mayRead(ctx, a, r) {
		return nil, fmt.Errorf("inbox: supervision record %d: %w", id, flow.ErrNotFound)
	}
	r.Department = m.departmentName(ctx, r.DepartmentID)
	return r, nil
}

// Records returns the supervision records of case in, newest first (a case
// has a handful).
func (m *Module) Records(ctx context.Context, in *flow.Instance) ([]Record, error) {
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+recordCols+" FROM supervision_records WHERE instance_id = ? ORDER BY id DESC LIMIT 200", in.ID)
	if err != nil {
		return nil, fmt.Errorf("inbox: supervision records of %d: %w", in.ID, err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("inbox: supervision records of %d: %w", in.ID, err)
		}
		r.Department = m.departmentName(ctx, r.DepartmentID)
		out = append(out, *r)
	}
	return out, rows.Err()
}

// OpenOrders returns one page of the supervision orders waiting for an
// answer from a's departments, soonest answer date first (keyset on
// answer_due, id), with the count bounded at store.CountBound.
func (m *Module) OpenOrders(ctx context.Context, a *auth.Actor, limit int, after store.Cursor) ([]Record, store.Page, error) {
	if a == nil || !a.HasAny(auth.RoleHandler, auth.RoleApprover, auth.RoleDispatcher) || len(a.DepartmentIDs) == 0 {
		return nil, store.Page{}, nil
	}
	limit = min(max(limit, 1), 200)
	arms := make([]string, 0, len(a.DepartmentIDs))
	var args, cargs []any
	ks, kargs := store.After("answer_due", "id", after)
	for i, d := range a.DepartmentIDs {
		// One range of the open-orders index per department, merged.
		arms = append(arms, "SELECT * FROM (SELECT answer_due AS o_due, id AS o_id FROM supervision_records WHERE department_id = ? AND status = 'open' AND "+
			ks+" ORDER BY answer_due, id LIMIT "+strconv.Itoa(limit+1)+") AS a"+strconv.Itoa(i))
		args = append(append(args, d), kargs...)
		cargs = append(cargs, d)
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+prefixed("r.", recordCols)+" FROM ("+strings.Join(arms, " UNION ALL ")+
		") AS u JOIN supervision_records r ON r.id = u.o_id ORDER BY u.o_due, u.o_id LIMIT "+strconv.Itoa(limit+1), args...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("inbox: open supervision orders: %w", err)
	}
	defer rows.Close()
	var out []Record
	var pg store.Page
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, store.Page{}, fmt.Errorf("inbox: open supervision orders: %w", err)
		}
		if len(out) == limit {
			last := out[len(out)-1]
			pg.Next = store.Cursor{At: last.AnswerDue, ID: last.ID}
			break
		}
		r.Department = m.departmentName(ctx, r.DepartmentID)
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Page{}, fmt.Errorf("inbox: open supervision orders: %w", err)
	}
	rows.Close()
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cargs)), ", ")
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT id FROM supervision_records WHERE department_id IN ("+marks+") AND status = 'open'", cargs...); err != nil {
		return nil, store.Page{}, fmt.Errorf("inbox: open supervision orders: %w", err)
	}
	// The subject's module has the last word on every row.
	kept := out[:0]
	for _, r := range out {
		if m.mayRead(ctx, a, &r) {
			kept = append(kept, r)
		}
	}
	return kept, pg, nil
}

func prefixed(p, cols string) string {
	fs := strings.Split(cols, ",")
	for i, f := range fs {
		fs[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fs, ", ")
}

// Answer records the answer (反馈) of a's department to supervision order
// id, which closes it; the case's history says so and the supervisor who
// issued it is told.
func (m *Module) Answer(ctx context.Context, a *auth.Actor, id int64, answer string) (*Record, error) {
	r, err := m.Record(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if r.Kind != KindOrder || !slices.Contains(a.DepartmentIDs, r.DepartmentID) {
		return nil, fmt.Errorf("inbox: answer supervision record %d: %w", id, auth.ErrForbidden)
	}
	answer = strings.TrimSpace(answer)
	if err := valid.Text("answer", answer); err != nil {
		return nil, err
	}
	if answer == "" || utf8.RuneCountInString(answer) > maxBody {
		return nil, &valid.FieldError{Path: "answer", Message: "反馈内容须为1至2000字 (answer must be 1–2000 characters)"}
	}
	now := store.Time(m.d.Now())
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := store.Exec(ctx, tx, `UPDATE supervision_records SET status = ?, answer = ?, answered_at = ?,
			answered_by = ?, answered_by_name = ? WHERE id = ? AND status = ?`,
			OrderAnswered, answer, now, a.UserID, a.Name, r.ID, OrderOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrAnswered
		}
		r.Status, r.Answer, r.AnsweredAt, r.AnsweredByName = OrderAnswered, answer, now, a.Name
		late := ""
		if now.After(r.AnswerDue) {
			late = "（逾期反馈）"
		}
		s := fmt.Sprintf("%s%s反馈督办单%s%s：%s", r.Department, a.Name, r.Number, late, answer)
		_, err = m.d.Flow.Supervise(ctx, tx, r.InstanceID, flow.ActionAnswer, a, s, r.event())
		if errors.Is(err, flow.ErrFinished) {
			// A case finished since the order was issued is still answered;
			// the answer is the record's, without a history line.
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("inbox: answer supervision record %d: %w", id, err)
	}
	return r, nil
}
