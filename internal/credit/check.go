package credit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// Outcomes of 信用核查.
const (
	OutcomeAllow = "allow" // nothing stands in the way
	OutcomeWeigh = "weigh" // the caller decides, with the reasons shown (审慎)
	OutcomeDeny  = "deny"  // refused by a listing
)

// Reason is one thing 信用核查 found.
type Reason struct {
	// Code is "serious" or "abnormal".
	Code string `json:"code"`
	// ListingID is the listing's id.
	ListingID int64  `json:"listing_id"`
	Since     string `json:"since"`
	Text      string `json:"text"`
	Outcome   string `json:"outcome"`
}

// CheckResult is the answer of 信用核查: may the business get what the
// purpose names, and why.
type CheckResult struct {
	ID      int64    `json:"id"`
	USCC    string   `json:"uscc"`
	Purpose string   `json:"purpose"`
	Outcome string   `json:"outcome" enum:"allow,weigh,deny"`
	Allowed bool     `json:"allowed" doc:"False only when the outcome is deny"`
	Reasons []Reason `json:"reasons"`
	AsOf    string   `json:"as_of"`
}

// CheckEntry is one logged check, as the business sees who checked it.
type CheckEntry struct {
	ID          int64     `json:"id"`
	Purpose     string    `json:"purpose"`
	PurposeName string    `json:"purpose_name"`
	Allowed     bool      `json:"allowed"`
	AskedBy     string    `json:"asked_by" doc:"The person, or the department, who asked"`
	AskedAt     time.Time `json:"asked_at"`
}

// Check is 信用核查: before deciding, a module or a department asks
// whether business uscc may get what purpose names (a key of Rules.Checks:
// commitment, licensing, procurement, honour, subsidy, inspection); a
// business asks about itself with purpose "self" (信用自查). Every check
// is logged with who asked and why, and the business can list them.
func (m *Module) Check(ctx context.Context, a *auth.Actor, uscc, purpose string) (*CheckResult, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	uscc = ids.NormalizeUSCC(uscc)
	var p valid.Problems
	if ids.ValidateUSCC(uscc) != nil {
		p.Add("uscc", "统一社会信用代码不正确 (invalid unified social credit code)")
	}
	rule, ok := m.d.Rules.Checks[purpose]
	if !ok {
		keys := make([]string, 0, len(m.d.Rules.Checks))
		for k := range m.d.Rules.Checks {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		p.Add("purpose", "核查用途为 %s 之一 (purpose must be one of these)", strings.Join(keys, "、"))
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	self := a.Has(auth.RoleEnterprise) && a.USCC == uscc
	switch {
	case a.Has(auth.RoleSystem):
	case self:
		purpose, rule = "self", m.d.Rules.Checks["self"]
	case a.HasAny(auth.RoleClerk, auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin):
	default:
		return nil, ErrNotFound
	}
	today := m.today()
	st, err := m.StateOf(ctx, auth.System(), uscc, today)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{USCC: uscc, Purpose: purpose, Outcome: OutcomeAllow, Reasons: []Reason{}, AsOf: today.String()}
	worse := func(o string) {
		if o == OutcomeDeny || (o == OutcomeWeigh && res.Outcome == OutcomeAllow) {
			res.Outcome = o
		}
	}
	for _, s := range st.Serious {
		if s.Active && rule.Serious != OutcomeAllow {
			res.Reasons = append(res.Reasons, Reason{Code: ListSerious, ListingID: s.ID, Since: s.ListedOn, Outcome: rule.Serious,
				Text: "列入严重违法失信名单 (on the serious violations list) since " + s.ListedOn})
			worse(rule.Serious)
		}
	}
	for _, ab := range st.Abnormal {
		if ab.Active && rule.Abnormal != OutcomeAllow {
			res.Reasons = append(res.Reasons, Reason{Code: ListAbnormal, ListingID: ab.ID, Since: ab.ListedOn, Outcome: rule.Abnormal,
				Text: "列入经营异常名录：" + ab.ReasonName + " (on the abnormal operations list) since " + ab.ListedOn})
			worse(rule.Abnormal)
		}
	}
	res.Allowed = res.Outcome != OutcomeDeny
	reasons, _ := json.Marshal(res.Reasons)
	var dept int64
	if len(a.DepartmentIDs) > 0 {
		dept = a.DepartmentIDs[0]
	}
	name := a.Name
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	if err := m.d.DB.QueryRowContext(ctx, `INSERT INTO credit_checks (uscc, purpose, allowed, reasons, asked_by, asked_by_name,
		department_id, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, uscc, purpose, res.Allowed, string(reasons),
		a.UserID, name, dept, store.Time(m.d.Now())).Scan(&res.ID); err != nil {
		return nil, fmt.Errorf("credit: log check: %w", err)
	}
	return res, nil
}

// Checks lists who checked business uscc, newest first (at most limit,
// before id before when it is not 0): the business sees its own, staff
// of any department see all.
func (m *Module) Checks(ctx context.Context, a *auth.Actor, uscc string, before int64, limit int) ([]CheckEntry, error) {
	uscc = ids.NormalizeUSCC(uscc)
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if m.d.Policy.Authorize(a, auth.ActRead, object("", 0, uscc)) != nil {
		return nil, ErrNotFound
	}
	q := `SELECT c.id, c.purpose, c.allowed, c.asked_by_name, c.department_id, c.asked_at FROM credit_checks c WHERE c.uscc = ?`
	args := []any{uscc}
	if before > 0 {
		q, args = q+" AND c.id < ?", append(args, before)
	}
	rows, err := m.d.DB.QueryContext(ctx, q+" ORDER BY c.id DESC LIMIT ?", append(args, min(max(limit, 1), 200))...)
	if err != nil {
		return nil, fmt.Errorf("credit: checks of %s: %w", uscc, err)
	}
	defer rows.Close()
	out := []CheckEntry{}
	for rows.Next() {
		var e CheckEntry
		var dept int64
		if err := rows.Scan(&e.ID, &e.Purpose, &e.Allowed, &e.AskedBy, &dept, &e.AskedAt); err != nil {
			return nil, fmt.Errorf("credit: checks of %s: %w", uscc, err)
		}
		e.PurposeName = m.d.Rules.Checks[e.Purpose].Name
		if dept != 0 {
			// A business sees the department that asked; staff see the person too.
			if d := m.d.Org.DepartmentName(ctx, dept); a.Has(auth.RoleEnterprise) {
				e.AskedBy = d
			} else {
				e.AskedBy = d + " " + e.AskedBy
			}
		}
		e.AskedAt = e.AskedAt.UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}
