package risk

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
)

// trial scores the sample with draft and, when there is one, the
// published model on the same inputs.
func (m *Module) trial(ctx context.Context, draft, pub *compiled, sample int) (*Trial, error) {
	usccs, err := m.sample(ctx, sample)
	if err != nil {
		return nil, err
	}
	models := []*compiled{draft}
	if pub != nil {
		models = append(models, pub)
	}
	p := newPlan(m.today(), models...)
	t := &Trial{Draft: map[string]int{}, Published: map[string]int{}, Moves: map[string]int{}, At: m.d.Now().UTC()}
	if pub != nil {
		t.Against = pub.version
	}
	dv, pv := make([]Value, len(draft.leaves)), []Value(nil)
	if pub != nil {
		pv = make([]Value, len(pub.leaves))
	}
	for _, u := range usccs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, err := m.inputsOne(ctx, p, u)
		if err != nil {
			return nil, err
		}
		if in == nil {
			continue
		}
		t.Sample++
		d := p.evaluate(draft, in, dv)
		t.Draft[d.class]++
		if pub == nil {
			continue
		}
		o := p.evaluate(pub, in, pv)
		t.Published[o.class]++
		if o.class != d.class {
			t.Changed++
			t.Moves[o.class+"→"+d.class]++
			if classRank(d.class) > classRank(o.class) {
				t.Up++
			} else {
				t.Down++
			}
		}
	}
	return t, nil
}

// sample picks at most n businesses spread over the register: every k-th
// classified business in code order (codes begin with the region, so a
// run of consecutive codes would be one county), or the first n of the
// register before any class exists.
func (m *Module) sample(ctx context.Context, n int) ([]string, error) {
	var total int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM risk_classes").Scan(&total); err != nil {
		return nil, fmt.Errorf("risk: sample: %w", err)
	}
	var out []string
	if total == 0 {
		_, err := m.d.Register.ScanBasics(ctx, "", n, func(b *entity.Basic) error {
			out = append(out, b.USCC)
			return nil
		})
		return out, err
	}
	k := max(1, (total+n-1)/n)
	rows, err := m.d.DB.QueryContext(ctx, "SELECT uscc FROM risk_classes ORDER BY uscc")
	if err != nil {
		return nil, fmt.Errorf("risk: sample: %w", err)
	}
	defer rows.Close()
	for i := 0; rows.Next(); i++ {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, fmt.Errorf("risk: sample: %w", err)
		}
		if i%k == 0 && len(out) < n {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// Class is a business's class with its explanation.
type Class struct {
	USCC         string     `json:"uscc"`
	Class        string     `json:"class" enum:"A,B,C,D"`
	Score        float64    `json:"score" doc:"0 (no risk) to 100"`
	ModelVersion int64      `json:"model_version"`
	ModelName    string     `json:"model_name"`
	RegionCode   string     `json:"region_code"`
	Industry     string     `json:"industry" doc:"GB/T 4754 section letter"`
	Since        string     `json:"since" doc:"YYYY-MM-DD the business has been in this class since"`
	ComputedAt   time.Time  `json:"computed_at"`
	Thresholds   Thresholds `json:"thresholds"`
	Lines        []Line     `json:"lines" doc:"Each indicator's value, score, weight and contribution"`
}

// ClassOf returns the class of business uscc ("" when it has none), for
// the platform's own modules (casework's instant-approval rules): no
// actor, no explanation.
func (m *Module) ClassOf(ctx context.Context, uscc string) (string, error) {
	var class string
	rows, err := m.d.DB.QueryContext(ctx, "SELECT class FROM risk_classes WHERE uscc = ?", ids.NormalizeUSCC(uscc))
	if err != nil {
		return "", fmt.Errorf("risk: class of %s: %w", uscc, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&class); err != nil {
			return "", fmt.Errorf("risk: class of %s: %w", uscc, err)
		}
	}
	return class, rows.Err()
}

// Explain returns the class of business uscc with each indicator's value
// and contribution, recomputed from the stored values with the model
// version the class was computed with. Only supervision staff of the
// business's region read it; everyone else is told it does not exist.
func (m *Module) Explain(ctx context.Context, a *auth.Actor, uscc string) (*Class, error) {
	uscc = ids.NormalizeUSCC(uscc)
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	c := Class{USCC: uscc}
	var vals string
	err := m.d.DB.QueryRowContext(ctx, `SELECT class, score, model_version, vals, region_code, industry, since, computed_at
		FROM risk_classes WHERE uscc = ?`, uscc).Scan(&c.Class, &c.Score, &c.ModelVersion, &vals, &c.RegionCode, &c.Industry,
		&c.Since, &c.ComputedAt)
	if err != nil {
		// No class and no access look the same.
		return nil, ErrNotFound
	}
	if !m.canRead(a, c.RegionCode) {
		return nil, ErrNotFound
	}
	c.ComputedAt = c.ComputedAt.UTC()
	model, err := m.compiled(ctx, c.ModelVersion)
	if err != nil {
		return nil, err
	}
	vs, err := decodeVals(vals)
	if err != nil {
		return nil, err
	}
	if c.Lines, err = model.explain(vs); err != nil {
		return nil, err
	}
	c.ModelName, c.Thresholds = model.model.Name, model.model.Thresholds
	return &c, nil
}

// ScanClasses calls fn with the class of every classified business whose
// code is from lo to hi, in code order: what modules that match the whole
// register in chunks (policies) read, without an actor.
func (m *Module) ScanClasses(ctx context.Context, lo, hi string, fn func(uscc, class string) error) error {
	rows, err := m.d.DB.QueryContext(ctx, "SELECT uscc, class FROM risk_classes WHERE uscc >= ? AND uscc <= ? ORDER BY uscc", lo, hi)
	if err != nil {
		return fmt.Errorf("risk: classes: %w", err)
	}
	defer rows.Close()
	var u, class string
	for rows.Next() {
		if err := rows.Scan(&u, &class); err != nil {
			return fmt.Errorf("risk: classes: %w", err)
		}
		if err := fn(u, class); err != nil {
			return err
		}
	}
	return rows.Err()
}
