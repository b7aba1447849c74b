package policy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
)

// mayExplain reports whether a may read the result of business uscc
// under p: the business itself, the issuing department, supervisors and
// administrators of the region.
func (m *Module) mayExplain(a *auth.Actor, p *Policy, uscc string) bool {
	if a == nil {
		return false
	}
	if a.Has(auth.RoleSystem) {
		return true
	}
	if a.Has(auth.RoleEnterprise) {
		return a.USCC == uscc
	}
	return m.d.Policy.Authorize(a, auth.ActRead, p.object()) == nil
}

// stored returns the inputs of uscc as last matched, and when; fresh
// inputs (and zero time) when it was never matched.
func (m *Module) stored(ctx context.Context, e *envir, uscc string) (*inputs, time.Time, error) {
	var b string
	var at time.Time
	err := m.d.DB.QueryRowContext(ctx, "SELECT inputs, matched_at FROM policy_inputs WHERE uscc = ?", uscc).Scan(&b, &at)
	if errors.Is(err, sql.ErrNoRows) {
		in, err := m.loadOne(ctx, e, uscc)
		if err != nil {
			return nil, time.Time{}, err
		}
		if in == nil {
			return nil, time.Time{}, ErrNotFound
		}
		return in, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("policy: inputs of %s: %w", uscc, err)
	}
	in, err := e.unmarshal(uscc, []byte(b))
	return in, at.UTC(), err
}

// Explain answers, for business uscc and policy id, each clause's rule,
// the values it read (with source and as-of date) and whether it held,
// from the inputs stored when it was last matched; and, for a business
// that missed, what it lacks.
func (m *Module) Explain(ctx context.Context, a *auth.Actor, id int64, uscc string) (*Explanation, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	uscc = ids.NormalizeUSCC(uscc)
	p, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.mayExplain(a, p, uscc) {
		return nil, ErrNotFound
	}
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	c, err := m.compiledOf(p)
	if err != nil {
		return nil, err
	}
	in, at, err := m.stored(ctx, e, uscc)
	if err != nil {
		return nil, err
	}
	return m.explainOne(ctx, e, c, in, at)
}

func (m *Module) explainOne(ctx context.Context, e *envir, c *compiled, in *inputs, at time.Time) (*Explanation, error) {
	o := e.decide(c, in, nil, true)
	// A refusal recorded when the grants were made (the budget) stands.
	var refused string
	var eligible bool
	err := m.d.DB.QueryRowContext(ctx, "SELECT eligible, refused FROM policy_matches WHERE policy_id = ? AND uscc = ?", c.p.ID, in.USCC).
		Scan(&eligible, &refused)
	if err == nil && refused == "budget" && o.eligible {
		o.eligible, o.excluded = false, append(o.excluded, "budget")
	}
	x := m.explain(ctx, e, c, in, o)
	if !at.IsZero() {
		x.MatchedAt = at.Format(time.RFC3339)
	}
	var gid int64
	if err := m.d.DB.QueryRowContext(ctx, "SELECT id FROM policy_grants WHERE policy_id = ? AND uscc = ?", c.p.ID, in.USCC).Scan(&gid); err == nil {
		if x.Grant, err = m.grant(ctx, m.d.DB, gid); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// Mine is the policy calculator (政策计算器) of a's business: every
// published policy with whether it qualifies, the amount and, when it
// does not, what it lacks. Eligible ones first.
func (m *Module) Mine(ctx context.Context, a *auth.Actor) ([]*Explanation, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.Has(auth.RoleEnterprise) || a.USCC == "" {
		return nil, auth.ErrForbidden
	}
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	pols, err := m.published(ctx, nil)
	if err != nil {
		return nil, err
	}
	in, at, err := m.stored(ctx, e, a.USCC)
	if err != nil {
		return nil, err
	}
	var yes, no []*Explanation
	for _, c := range pols {
		x, err := m.explainOne(ctx, e, c, in, at)
		if err != nil {
			return nil, err
		}
		if x.Eligible {
			yes = append(yes, x)
		} else {
			no = append(no, x)
		}
	}
	return append(append([]*Explanation{}, yes...), no...), nil
}

// Match is one eligible (or refused) business of a policy.
type Match struct {
	USCC       string  `json:"uscc"`
	Eligible   bool    `json:"eligible"`
	Refused    string  `json:"refused,omitempty"`
	AmountYuan float64 `json:"amount_yuan"`
	Notified   bool    `json:"notified"`
}

// Matches lists the stored results of policy id after a code (keyset),
// for its department and supervisors.
func (m *Module) Matches(ctx context.Context, a *auth.Actor, id int64, after string, limit int) ([]Match, error) {
	p, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if a.Has(auth.RoleEnterprise) || !m.mayExplain(a, p, "") {
		return nil, ErrNotFound
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT uscc, eligible, refused, amount_fen, notified_at IS NOT NULL FROM policy_matches
		WHERE policy_id = ? AND uscc > ? ORDER BY uscc LIMIT ?`, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("policy: matches: %w", err)
	}
	defer rows.Close()
	out := []Match{}
	for rows.Next() {
		var x Match
		var amount int64
		if err := rows.Scan(&x.USCC, &x.Eligible, &x.Refused, &amount, &x.Notified); err != nil {
			return nil, err
		}
		x.AmountYuan = float64(amount) / 100
		out = append(out, x)
	}
	return out, rows.Err()
}
