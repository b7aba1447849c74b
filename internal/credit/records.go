package credit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// RecordInput is a credit record as written by a department or a module.
type RecordInput struct {
	USCC         string   `json:"uscc" maxLength:"18"`
	Kind         Kind     `json:"kind" enum:"license,penalty,inspection,enforcement,judicial,tax_arrears,honour,support,commitment,annual_report,ip_pledge,complaint,false_commitment"`
	DecisionNo   string   `json:"decision_no,omitempty" maxLength:"100" doc:"The decision's document number (决定书文号)"`
	DecisionDate string   `json:"decision_date" doc:"YYYY-MM-DD"`
	PublishedOn  string   `json:"published_on,omitempty" doc:"YYYY-MM-DD it was published, if already; empty publishes it today when its kind is public"`
	WithdrawnOn  *string  `json:"withdrawn_on,omitempty" doc:"YYYY-MM-DD the decision was changed or revoked, if it was"`
	LegalBasis   string   `json:"legal_basis,omitempty" maxLength:"1000"`
	Content      string   `json:"content,omitempty" maxLength:"4000"`
	Penalty      *Penalty `json:"penalty,omitempty" doc:"Required for kind penalty"`
}

// Record is a stored credit record with its computed publication.
type Record struct {
	ID           int64    `json:"id"`
	USCC         string   `json:"uscc"`
	Kind         Kind     `json:"kind"`
	DepartmentID int64    `json:"department_id"`
	RegionCode   string   `json:"region_code"`
	DecisionNo   string   `json:"decision_no"`
	DecisionDate string   `json:"decision_date"`
	PublishedOn  *string  `json:"published_on"`
	WithdrawnOn  *string  `json:"withdrawn_on"`
	LegalBasis   string   `json:"legal_basis,omitempty"`
	Content      string   `json:"content,omitempty"`
	Penalty      *Penalty `json:"penalty,omitempty"`
	// PublishBy is the last day the record must be published by.
	PublishBy *string `json:"publish_by"`
	// PublicUntil is the last day it is shown (null: while in force, or
	// never shown when public is false on every day).
	PublicUntil *string `json:"public_until"`
	// RepairableFrom is the first day repair may be applied for; null
	// where repair does not apply.
	RepairableFrom *string `json:"repairable_from"`
	// Public says whether the record is shown on the day asked about.
	Public bool `json:"public"`
	// RepairedOn is the day a repair was granted (信用修复): the record is
	// shown up to that day and not after.
	RepairedOn *string `json:"repaired_on"`

	terms Terms
}

func datePtr(d calendar.Date) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

// ctrl reports text that valid.Text refuses: control characters, bidi
// overrides, invalid UTF-8.
func ctrl(s string) bool { return valid.Text("", s) != nil }

// check validates in, returning the parsed dates.
func (m *Module) check(in *RecordInput) (decided, published, withdrawn calendar.Date, err error) {
	var p valid.Problems
	in.USCC = ids.NormalizeUSCC(in.USCC)
	if err := ids.ValidateUSCC(in.USCC); err != nil {
		p.Add("uscc", "统一社会信用代码不正确 (invalid unified social credit code)")
	}
	if !in.Kind.Valid() {
		p.Add("kind", "未知的信用信息类别 (unknown kind)")
	}
	in.DecisionNo, in.LegalBasis, in.Content = strings.TrimSpace(in.DecisionNo), strings.TrimSpace(in.LegalBasis), strings.TrimSpace(in.Content)
	for path, s := range map[string]string{"decision_no": in.DecisionNo, "legal_basis": in.LegalBasis, "content": in.Content} {
		if ctrl(s) {
			p.Add(path, "含有不允许的控制字符 (control characters are not allowed)")
		}
	}
	if utf8.RuneCountInString(in.DecisionNo) > 100 || utf8.RuneCountInString(in.LegalBasis) > 1000 || utf8.RuneCountInString(in.Content) > 4000 {
		p.Add("content", "文字过长 (text too long)")
	}
	today := m.today()
	if decided, err = calendar.ParseDate(in.DecisionDate); err != nil {
		p.Add("decision_date", "决定日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
	} else if decided.After(today) {
		p.Add("decision_date", "决定日期不能晚于今天 (a decision cannot be in the future)")
	}
	if in.PublishedOn != "" {
		if published, err = calendar.ParseDate(in.PublishedOn); err != nil {
			p.Add("published_on", "公示日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
		} else if published.Before(decided) || published.After(today) {
			p.Add("published_on", "公示日期须在决定日期与今天之间 (between the decision and today)")
		}
	}
	if in.WithdrawnOn != nil && *in.WithdrawnOn != "" {
		if withdrawn, err = calendar.ParseDate(*in.WithdrawnOn); err != nil {
			p.Add("withdrawn_on", "撤下日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
		} else if withdrawn.Before(decided) || withdrawn.After(today) {
			p.Add("withdrawn_on", "撤下日期须在决定日期与今天之间 (between the decision and today)")
		}
	}
	if in.Kind == KindPenalty {
		switch pen := in.Penalty; {
		case pen == nil:
			p.Add("penalty", "行政处罚须填写处罚信息 (a penalty needs its details)")
		default:
			if pen.Procedure != "ordinary" && pen.Procedure != "simple" {
				p.Add("penalty.procedure", "程序为 ordinary 或 simple")
			}
			if pen.Subject != "person" && pen.Subject != "organisation" {
				p.Add("penalty.subject", "当事人为 person 或 organisation")
			}
			switch pen.Sector {
			case "food", "drug", "special_equipment", "other":
			case "":
				pen.Sector = "other"
			default:
				p.Add("penalty.sector", "领域为 food、drug、special_equipment 或 other")
			}
			if len(pen.Kinds) == 0 {
				p.Add("penalty.kinds", "须填写处罚种类 (at least one kind of penalty)")
			}
			for i, k := range pen.Kinds {
				if k = strings.TrimSpace(k); k == "" || utf8.RuneCountInString(k) > 20 || ctrl(k) {
					p.Add(fmt.Sprintf("penalty.kinds[%d]", i), "处罚种类不正确 (invalid kind)")
				}
				pen.Kinds[i] = k
			}
			hasFine := false
			for _, k := range pen.Kinds {
				hasFine = hasFine || k == m.d.Rules.FineKind
			}
			switch {
			case pen.FineYuan < 0:
				p.Add("penalty.fine_yuan", "罚款金额不能为负 (fine may not be negative)")
			case hasFine && pen.FineYuan == 0:
				p.Add("penalty.fine_yuan", "处以罚款的须填写金额 (a fine needs its amount)")
			case !hasFine && pen.FineYuan > 0:
				p.Add("penalty.kinds", "填写了罚款金额，处罚种类须包括罚款 (a fine amount needs the kind 罚款)")
			}
		}
	} else if in.Penalty != nil {
		p.Add("penalty", "只有行政处罚填写处罚信息 (penalty details only for penalties)")
	}
	if len(p) > 0 {
		return decided, published, withdrawn, p.Err()
	}
	return decided, published, withdrawn, nil
}

// AddRecord writes a record for a's department (which must be granted its
// kind) and publishes it today when its kind is public and in.PublishedOn
// is empty. An audit entry and an outbox event go with it.
func (m *Module) AddRecord(ctx context.Context, a *auth.Actor, in RecordInput) (*Record, error) {
	decided, published, withdrawn, err := m.check(&in)
	if err != nil {
		return nil, err
	}
	dept, err := m.writer(ctx, m.d.DB, a, string(in.Kind))
	if err != nil {
		return nil, err
	}
	terms := m.d.Rules.TermsOf(m.d.Calendar(), in.Kind, in.Penalty, decided, published, withdrawn)
	if published.IsZero() && terms.Public && (withdrawn.IsZero()) {
		published = m.today()
		terms = m.d.Rules.TermsOf(m.d.Calendar(), in.Kind, in.Penalty, decided, published, withdrawn)
	}
	if !terms.Public {
		published = calendar.Date{}
	}
	var pen any
	if in.Penalty != nil {
		b, _ := json.Marshal(in.Penalty)
		pen = string(b)
	}
	region := dept.RegionCode
	var id int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO credit_records (uscc, kind, department_id, region_code, decision_no,
			decision_date, published_on, withdrawn_on, public_until, legal_basis, content, penalty, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.USCC, in.Kind, dept.ID, region, in.DecisionNo,
			decided.String(), nullDate(published), nullDate(withdrawn), nullDate(terms.Until), in.LegalBasis, in.Content, pen,
			store.Time(m.d.Now()), a.UserID).Scan(&id)
		if store.IsUniqueViolation(err) {
			return &valid.FieldError{Path: "decision_no", Message: "本部门已报送该文号的同类信息 (this decision number is already recorded)"}
		}
		if err != nil {
			return fmt.Errorf("credit: add record: %w", err)
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.record",
			ObjectType: "credit_record", ObjectID: strconv.FormatInt(id, 10), RegionCode: region,
			Detail: map[string]any{"uscc": in.USCC, "kind": in.Kind, "decision_no": in.DecisionNo}}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicRecorded, map[string]any{"id": id, "uscc": in.USCC, "kind": in.Kind})
	})
	if err != nil {
		return nil, err
	}
	return m.GetRecord(ctx, a, id, m.today())
}

const recordCols = `id, uscc, kind, department_id, region_code, decision_no, decision_date, published_on, withdrawn_on,
	legal_basis, content, penalty, repaired_on`

func (m *Module) scanRecord(r interface{ Scan(...any) error }, asOf calendar.Date) (*Record, error) {
	var rec Record
	var pub, wd, pen, rep sql.NullString
	if err := r.Scan(&rec.ID, &rec.USCC, &rec.Kind, &rec.DepartmentID, &rec.RegionCode, &rec.DecisionNo, &rec.DecisionDate,
		&pub, &wd, &rec.LegalBasis, &rec.Content, &pen, &rep); err != nil {
		return nil, err
	}
	if pen.Valid && pen.String != "" {
		rec.Penalty = &Penalty{}
		if err := json.Unmarshal([]byte(pen.String), rec.Penalty); err != nil {
			return nil, fmt.Errorf("credit: record %d: penalty: %w", rec.ID, err)
		}
	}
	// Personal numbers typed into the content are shown masked, as in
	// every other free text.
	rec.Content = pii.MaskText(rec.Content)
	published, withdrawn := scanDate(pub), scanDate(wd)
	decided, _ := calendar.ParseDate(rec.DecisionDate)
	rec.terms = m.d.Rules.TermsOf(m.d.Calendar(), rec.Kind, rec.Penalty, decided, published, withdrawn)
	rec.terms = repairedTerms(rec.terms, scanDate(rep))
	rec.RepairedOn = datePtr(scanDate(rep))
	rec.PublishedOn, rec.WithdrawnOn = datePtr(published), datePtr(withdrawn)
	rec.PublishBy, rec.PublicUntil, rec.RepairableFrom = datePtr(rec.terms.PublishBy), datePtr(rec.terms.Until), datePtr(rec.terms.RepairableFrom)
	rec.Public = rec.terms.ShownOn(published, asOf)
	return &rec, nil
}

// GetRecord returns record id as of asOf, if a may read it.
func (m *Module) GetRecord(ctx context.Context, a *auth.Actor, id int64, asOf calendar.Date) (*Record, error) {
	rec, err := m.scanRecord(m.d.DB.QueryRowContext(ctx, "SELECT "+recordCols+" FROM credit_records WHERE id = ?", id), asOf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("credit: record %d: %w", id, err)
	}
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object(rec.RegionCode, rec.DepartmentID, rec.USCC)) != nil) {
		return nil, ErrNotFound
	}
	return rec, nil
}

// Withdraw records that the decision behind record id was changed or
// revoked on date on (YYYY-MM-DD): it is shown up to the day before. Only
// the department that wrote it may; once.
func (m *Module) Withdraw(ctx context.Context, a *auth.Actor, id int64, on string) (*Record, error) {
	rec, err := m.GetRecord(ctx, a, id, m.today())
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActAct, object(rec.RegionCode, rec.DepartmentID, rec.USCC)) != nil {
		return nil, ErrNotFound
	}
	d, err := calendar.ParseDate(on)
	decided, _ := calendar.ParseDate(rec.DecisionDate)
	switch {
	case err != nil:
		return nil, &valid.FieldError{Path: "withdrawn_on", Message: "撤下日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"}
	case d.Before(decided) || d.After(m.today()):
		return nil, &valid.FieldError{Path: "withdrawn_on", Message: "撤下日期须在决定日期与今天之间 (between the decision and today)"}
	case rec.WithdrawnOn != nil:
		return nil, ErrState
	}
	pub, _ := calendar.ParseDate(deref(rec.PublishedOn))
	until := m.d.Rules.TermsOf(m.d.Calendar(), rec.Kind, rec.Penalty, decided, pub, d).Until
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE credit_records SET withdrawn_on = ?, public_until = ? WHERE id = ? AND withdrawn_on IS NULL`,
			d.String(), nullDate(until), id)
		if err != nil {
			return fmt.Errorf("credit: withdraw %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.withdraw",
			ObjectType: "credit_record", ObjectID: strconv.FormatInt(id, 10), RegionCode: rec.RegionCode,
			Detail: map[string]any{"uscc": rec.USCC, "withdrawn_on": d.String()}}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.d.Now(), TopicRecorded, map[string]any{"id": id, "uscc": rec.USCC, "kind": rec.Kind, "withdrawn": true})
	})
	if err != nil {
		return nil, err
	}
	return m.GetRecord(ctx, a, id, m.today())
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// records returns the records of uscc decided on or before asOf, newest
// decision first.
func (m *Module) records(ctx context.Context, uscc string, asOf calendar.Date) ([]Record, error) {
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+recordCols+` FROM credit_records WHERE uscc = ? AND decision_date <= ?
		ORDER BY decision_date DESC, id DESC LIMIT 1000`, uscc, asOf.String())
	if err != nil {
		return nil, fmt.Errorf("credit: records of %s: %w", uscc, err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		rec, err := m.scanRecord(rows, asOf)
		if err != nil {
			return nil, fmt.Errorf("credit: records of %s: %w", uscc, err)
		}
		out = append(out, *rec)
	}
	return out, rows.Err()
}

func mustDate(s string) calendar.Date {
	d, _ := calendar.ParseDate(s)
	return d
}
