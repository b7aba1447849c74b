package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// The lists, as grant kinds: a department granted ListAbnormal keeps the
// 经营异常名录 (market regulation), ListSerious the 严重违法失信名单.
const (
	ListAbnormal = "abnormal"
	ListSerious  = "serious"
)

// The reasons for listing as abnormal (企业信息公示暂行条例 第十七条 and
// 经营异常名录管理办法).
var AbnormalReasons = map[string]string{
	"annual_report": "未按规定报送年度报告",
	"not_published": "未在责令的期限内公示有关企业信息",
	"false_info":    "公示企业信息隐瞒真实情况、弄虚作假",
	"unreachable":   "通过登记的住所或者经营场所无法联系",
}

// CauseAbnormal3Years is the cause of a serious listing that follows from
// three years on the abnormal list.
const CauseAbnormal3Years = "abnormal_3_years"

// AbnormalInput lists a business as abnormal. ListedOn may be in the past,
// so that a city can load its history.
type AbnormalInput struct {
	USCC       string `json:"uscc" maxLength:"18"`
	Reason     string `json:"reason" enum:"annual_report,not_published,false_info,unreachable"`
	ListedOn   string `json:"listed_on" doc:"YYYY-MM-DD of the listing decision"`
	DecisionNo string `json:"decision_no,omitempty" maxLength:"100"`
}

// Abnormal is one listing on the 经营异常名录.
type Abnormal struct {
	ID         int64   `json:"id"`
	USCC       string  `json:"uscc"`
	Reason     string  `json:"reason"`
	ReasonName string  `json:"reason_name"`
	ListedOn   string  `json:"listed_on"`
	RemovedOn  *string `json:"removed_on"`
	DecisionNo string  `json:"decision_no,omitempty"`
	// Active says whether it is in force on the day asked about.
	Active       bool   `json:"active"`
	DepartmentID int64  `json:"department_id"`
	RegionCode   string `json:"-"`
}

// Serious is one listing on the 严重违法失信名单.
type Serious struct {
	ID    int64  `json:"id"`
	USCC  string `json:"uscc"`
	Cause string `json:"cause"`
	// AbnormalID names the abnormal listing it follows from, if any.
	AbnormalID int64   `json:"abnormal_id,omitempty"`
	ListedOn   string  `json:"listed_on"`
	RemovedOn  *string `json:"removed_on"`
	// EarlyRemovalFrom is the first day early removal may be applied for.
	EarlyRemovalFrom string `json:"early_removal_from"`
	// Until is the last day of the listing's term, unless removed earlier.
	Until  string `json:"until"`
	Active bool   `json:"active"`
}

// ListAsAbnormal lists a business as abnormal for a's department (granted
// ListAbnormal). If it stays unremoved for the rules' term, it is also on
// the serious list from the day after (a row written now, dated then).
func (m *Module) ListAsAbnormal(ctx context.Context, a *auth.Actor, in AbnormalInput) (*Abnormal, error) {
	var p valid.Problems
	in.USCC = ids.NormalizeUSCC(in.USCC)
	if ids.ValidateUSCC(in.USCC) != nil {
		p.Add("uscc", "统一社会信用代码不正确 (invalid unified social credit code)")
	}
	if _, ok := AbnormalReasons[in.Reason]; !ok {
		p.Add("reason", "列入原因为 annual_report、not_published、false_info 或 unreachable")
	}
	listed, err := calendar.ParseDate(in.ListedOn)
	if err != nil {
		p.Add("listed_on", "列入日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
	} else if listed.After(m.today()) {
		p.Add("listed_on", "列入日期不能晚于今天 (a listing cannot be in the future)")
	}
	in.DecisionNo = strings.TrimSpace(in.DecisionNo)
	if ctrl(in.DecisionNo) {
		p.Add("decision_no", "含有不允许的控制字符 (control characters are not allowed)")
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	dept, err := m.writer(ctx, m.d.DB, a, ListAbnormal)
	if err != nil {
		return nil, err
	}
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_abnormal WHERE uscc = ? AND reason = ? AND removed_on IS NULL`,
			in.USCC, in.Reason).Scan(&n); err != nil {
			return fmt.Errorf("credit: abnormal: %w", err)
		}
		if n > 0 {
			return &valid.FieldError{Path: "reason", Message: "该主体已因同一原因列入经营异常名录 (already listed for this reason)"}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO credit_abnormal (uscc, reason, listed_on, department_id, region_code,
			decision_no, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.USCC, in.Reason,
			listed.String(), dept.ID, dept.RegionCode, in.DecisionNo, store.Time(m.d.Now()), a.UserID).Scan(&id); err != nil {
			return fmt.Errorf("credit: abnormal: %w", err)
		}
		if err := m.followSerious(ctx, tx, id); err != nil {
			return err
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.abnormal.list",
			ObjectType: "credit_abnormal", ObjectID: strconv.FormatInt(id, 10), RegionCode: dept.RegionCode,
			Detail: map[string]any{"uscc": in.USCC, "reason": in.Reason, "listed_on": listed.String()}}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicListed, map[string]any{"id": id, "uscc": in.USCC, "list": ListAbnormal})
	})
	if err != nil {
		return nil, err
	}
	return m.abnormal(ctx, m.d.DB, id, m.today())
}

// RemoveAbnormal removes listing id on date on (the obligation was met).
// A removal within the term also takes back the serious listing that would
// have followed; one after it leaves that listing alone (it has its own
// removal).
func (m *Module) RemoveAbnormal(ctx context.Context, a *auth.Actor, id int64, on, decisionNo string) (*Abnormal, error) {
	ab, err := m.abnormal(ctx, m.d.DB, id, m.today())
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActAct, object(ab.RegionCode, ab.DepartmentID, ab.USCC)) != nil {
		return nil, ErrNotFound
	}
	removed, err := calendar.ParseDate(on)
	switch {
	case err != nil:
		return nil, &valid.FieldError{Path: "removed_on", Message: "移出日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"}
	case removed.Before(mustDate(ab.ListedOn)) || removed.After(m.today()):
		return nil, &valid.FieldError{Path: "removed_on", Message: "移出日期须在列入日期与今天之间 (between the listing and today)"}
	case ab.RemovedOn != nil:
		return nil, ErrState
	case ctrl(decisionNo):
		return nil, &valid.FieldError{Path: "decision_no", Message: "含有不允许的控制字符 (control characters are not allowed)"}
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE credit_abnormal SET removed_on = ?, removal_decision_no = ?, removed_by = ?
			WHERE id = ? AND removed_on IS NULL`, removed.String(), strings.TrimSpace(decisionNo), a.UserID, id)
		if err != nil {
			return fmt.Errorf("credit: remove abnormal %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		if err := m.followSerious(ctx, tx, id); err != nil {
			return err
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.abnormal.remove",
			ObjectType: "credit_abnormal", ObjectID: strconv.FormatInt(id, 10), RegionCode: ab.RegionCode,
			Detail: map[string]any{"uscc": ab.USCC, "removed_on": removed.String()}}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicRemoved, map[string]any{"id": id, "uscc": ab.USCC, "list": ListAbnormal})
	})
	if err != nil {
		return nil, err
	}
	return m.abnormal(ctx, m.d.DB, id, m.today())
}

// followSerious makes the serious listing that follows from abnormal
// listing id agree with its dates: present, dated the day after the term,
// when the listing was not removed within the term; absent otherwise.
func (m *Module) followSerious(ctx context.Context, tx store.IDB, id int64) error {
	var uscc, listedOn, region string
	var removedOn sql.NullString
	var dept int64
	if err := tx.QueryRowContext(ctx, `SELECT uscc, listed_on, removed_on, department_id, region_code FROM credit_abnormal
		WHERE id = ?`, id).Scan(&uscc, &listedOn, &removedOn, &dept, &region); err != nil {
		return fmt.Errorf("credit: abnormal %d: %w", id, err)
	}
	end := calendar.PeriodEnd(mustDate(listedOn), m.d.Rules.AbnormalToSerious)
	follows := !removedOn.Valid || scanDate(removedOn).After(end)
	if !follows {
		_, err := tx.ExecContext(ctx, `DELETE FROM credit_serious WHERE abnormal_id = ?`, id)
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO credit_serious (uscc, cause, abnormal_id, listed_on, department_id, region_code,
		created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (abnormal_id) DO NOTHING`, uscc, CauseAbnormal3Years, id,
		end.AddDays(1).String(), dept, region, store.Time(m.d.Now()))
	if err != nil {
		return fmt.Errorf("credit: serious after abnormal %d: %w", id, err)
	}
	return nil
}

const abnormalCols = `id, uscc, reason, listed_on, removed_on, decision_no, department_id, region_code`

func scanAbnormal(r interface{ Scan(...any) error }, asOf calendar.Date) (*Abnormal, error) {
	var ab Abnormal
	var removed sql.NullString
	if err := r.Scan(&ab.ID, &ab.USCC, &ab.Reason, &ab.ListedOn, &removed, &ab.DecisionNo, &ab.DepartmentID, &ab.RegionCode); err != nil {
		return nil, err
	}
	ab.ReasonName = AbnormalReasons[ab.Reason]
	rd := scanDate(removed)
	ab.RemovedOn = datePtr(rd)
	ab.Active = !asOf.Before(mustDate(ab.ListedOn)) && (rd.IsZero() || asOf.Before(rd))
	return &ab, nil
}

func (m *Module) abnormal(ctx context.Context, db store.IDB, id int64, asOf calendar.Date) (*Abnormal, error) {
	ab, err := scanAbnormal(db.QueryRowContext(ctx, "SELECT "+abnormalCols+" FROM credit_abnormal WHERE id = ?", id), asOf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("credit: abnormal %d: %w", id, err)
	}
	return ab, nil
}

// State is what is known of a business on a date: its listings and
// records, each saying whether it was in force or shown that day.
type State struct {
	USCC     string     `json:"uscc"`
	AsOf     string     `json:"as_of"`
	Abnormal []Abnormal `json:"abnormal"`
	Serious  []Serious  `json:"serious"`
	Records  []Record   `json:"records"`
}

// StateOf returns the state of business uscc on asOf (zero: today), if a
// may read its credit information. Listings and records dated after asOf
// are left out: they were not known then.
func (m *Module) StateOf(ctx context.Context, a *auth.Actor, uscc string, asOf calendar.Date) (*State, error) {
	uscc = ids.NormalizeUSCC(uscc)
	if ids.ValidateUSCC(uscc) != nil {
		return nil, &valid.FieldError{Path: "uscc", Message: "统一社会信用代码不正确 (invalid unified social credit code)"}
	}
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object("", 0, uscc)) != nil {
		return nil, ErrNotFound
	}
	if asOf.IsZero() {
		asOf = m.today()
	}
	st := &State{USCC: uscc, AsOf: asOf.String(), Abnormal: []Abnormal{}, Serious: []Serious{}}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+abnormalCols+` FROM credit_abnormal WHERE uscc = ? AND listed_on <= ?
		ORDER BY listed_on, id`, uscc, asOf.String())
	if err != nil {
		return nil, fmt.Errorf("credit: state of %s: %w", uscc, err)
	}
	for rows.Next() {
		ab, err := scanAbnormal(rows, asOf)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("credit: state of %s: %w", uscc, err)
		}
		if ab.RemovedOn != nil && asOf.Before(mustDate(*ab.RemovedOn)) {
			ab.RemovedOn = nil // not yet removed on asOf
		}
		st.Abnormal = append(st.Abnormal, *ab)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if st.Serious, err = m.serious(ctx, uscc, asOf); err != nil {
		return nil, err
	}
	if st.Records, err = m.records(ctx, uscc, asOf); err != nil {
		return nil, err
	}
	return st, nil
}

// serious returns the serious listings of uscc in force or past on asOf.
func (m *Module) serious(ctx context.Context, uscc string, asOf calendar.Date) ([]Serious, error) {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id, uscc, cause, abnormal_id, listed_on, removed_on FROM credit_serious
		WHERE uscc = ? AND listed_on <= ? ORDER BY listed_on, id`, uscc, asOf.String())
	if err != nil {
		return nil, fmt.Errorf("credit: serious of %s: %w", uscc, err)
	}
	defer rows.Close()
	out := []Serious{}
	for rows.Next() {
		var s Serious
		var abID sql.NullInt64
		var removed sql.NullString
		if err := rows.Scan(&s.ID, &s.USCC, &s.Cause, &abID, &s.ListedOn, &removed); err != nil {
			return nil, fmt.Errorf("credit: serious of %s: %w", uscc, err)
		}
		s.AbnormalID = abID.Int64
		listed := mustDate(s.ListedOn)
		s.EarlyRemovalFrom = calendar.PeriodEnd(listed, m.d.Rules.SeriousEarlyRemoval).AddDays(1).String()
		until := calendar.PeriodEnd(listed, m.d.Rules.SeriousTerm)
		s.Until = until.String()
		rd := scanDate(removed)
		if !rd.IsZero() && asOf.Before(rd) {
			rd = calendar.Date{}
		}
		s.RemovedOn = datePtr(rd)
		s.Active = !asOf.After(until) && rd.IsZero()
		out = append(out, s)
	}
	return out, rows.Err()
}

// OnSeriousList reports whether business uscc is on the serious list on
// day: the question 信用核查 asks before a commitment, an honour or a
// procurement.
func (m *Module) OnSeriousList(ctx context.Context, uscc string, day calendar.Date) (bool, error) {
	list, err := m.serious(ctx, ids.NormalizeUSCC(uscc), day)
	if err != nil {
		return false, err
	}
	for _, s := range list {
		if s.Active {
			return true, nil
		}
	}
	return false, nil
}
