// Package policybench is the workload of the policy matching benchmark,
// shared by go test -bench and yingshang bench policy: a register of N
// businesses with the facts policies read (written in bulk by package
// riskbench), and M published policies of two to four clauses each over
// the register's fields, facts and lists, with benefit formulas, caps
// and exclusions, in the mix a city's library has: most policies reach a
// few per cent of the businesses, a few reach many.
package policybench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/policy"
	"github.com/yingshang/yingshang/internal/risk/riskbench"
	"github.com/yingshang/yingshang/internal/store"
)

// Options size the data.
type Options struct {
	Businesses int
	Policies   int
	Now        time.Time
	Seed       uint64
	// Department issues the policies (any id: the benchmark has no
	// organisation).
	Department int64
	// Progress, when set, receives a line now and then.
	Progress io.Writer
}

// USCC returns the code of business i (0-based) of n.
func USCC(i, n int) string { return riskbench.USCC(i, n) }

var (
	levels = []string{"无", "无", "无", "无", "无", "创新型中小企业", "创新型中小企业", "省级专精特新", "国家级专精特新小巨人"}
	grades = []string{"A", "A", "B", "B", "B", "M", "C", "D"}
)

// facts adds the facts of business i: employees and insured employees,
// revenue, tax, R&D spend, the high-tech certificate, the specialised
// level and the tax credit grade; a few businesses lack some, as real
// registers do.
func facts(seed uint64) func(i int, add func(name, typ, value string) error) error {
	return func(i int, add func(name, typ, value string) error) error {
		rnd := rand.New(rand.NewPCG(seed, uint64(i)))
		emp := 1 + int(rnd.ExpFloat64()*40)
		rev := int64(emp) * int64(100000+rnd.IntN(400000)) * 100 // fen
		fs := [][3]string{
			{"employees", "integer", strconv.Itoa(emp)},
			{"insured_employees", "integer", strconv.Itoa(emp * (70 + rnd.IntN(31)) / 100)},
			{"revenue", "money", strconv.FormatInt(rev, 10)},
			{"tax_paid", "money", strconv.FormatInt(rev/100*int64(2+rnd.IntN(6)), 10)},
			{"credit_grade_tax", "enum", grades[rnd.IntN(len(grades))]},
		}
		if rnd.IntN(3) == 0 {
			fs = append(fs, [3]string{"rd_spend", "money", strconv.FormatInt(rev/100*int64(1+rnd.IntN(12)), 10)})
		}
		fs = append(fs, [3]string{"high_tech", "boolean", strconv.FormatBool(rnd.IntN(8) == 0)})
		if rnd.IntN(2) == 0 {
			fs = append(fs, [3]string{"specialised_level", "enum", levels[rnd.IntN(len(levels))]})
		}
		for _, f := range fs {
			if err := add(f[0], f[1], f[2]); err != nil {
				return err
			}
		}
		return nil
	}
}

// Seed writes the register into an empty migrated database and m's
// policies, published without matching (the benchmark matches).
func Seed(ctx context.Context, db *store.DB, m *policy.Module, o Options) error {
	if err := riskbench.Seed(ctx, db, riskbench.Options{Businesses: o.Businesses, Now: o.Now, Seed: o.Seed,
		Progress: o.Progress, Facts: facts(o.Seed)}); err != nil {
		return err
	}
	start := time.Now()
	sys := &auth.Actor{Name: "基准测试", Roles: []auth.Role{auth.RoleSystem}, RegionCode: "990100", DepartmentIDs: []int64{o.Department}}
	for i, in := range Policies(o.Policies, o.Now, o.Seed) {
		if _, err := m.Create(ctx, sys, o.Department, in); err != nil {
			return fmt.Errorf("policybench: policy %d: %w", i, err)
		}
		if o.Progress != nil && (i+1)%100 == 0 {
			fmt.Fprintf(o.Progress, "  wrote %d/%d policies, %.0fs\n", i+1, o.Policies, time.Since(start).Seconds())
		}
	}
	today := o.Now.Format("2006-01-02")
	if _, err := db.ExecContext(ctx, "UPDATE policies SET status = ?, published_on = ? WHERE status = ?",
		policy.StatusPublished, today, policy.StatusDraft); err != nil {
		return fmt.Errorf("policybench: publish: %w", err)
	}
	return nil
}

// Policies returns n policy inputs valid around now.
func Policies(n int, now time.Time, seed uint64) []policy.Input {
	rnd := rand.New(rand.NewPCG(seed, 11))
	from, until := now.AddDate(0, -1, 0).Format("2006-01-02"), now.AddDate(1, 0, 0).Format("2006-01-02")
	regions := riskbench.Regions
	// Each picks a clause: the text as written and its rule.
	picks := []func() policy.Clause{
		func() policy.Clause {
			r := regions[rnd.IntN(len(regions))]
			return policy.Clause{Text: "注册地在" + r + "区且存续", Rule: fmt.Sprintf(`biz.region == %q && biz.status == "存续"`, r)}
		},
		func() policy.Clause {
			return policy.Clause{Text: "在本市登记且存续", Rule: `biz.region.startsWith("9901") && biz.status == "存续"`}
		},
		func() policy.Clause {
			k := 10 + rnd.IntN(120)
			return policy.Clause{Text: fmt.Sprintf("从业人数不少于%d人", k), Rule: fmt.Sprintf("fact.employees >= %d", k)}
		},
		func() policy.Clause {
			k := 5 + rnd.IntN(80)
			return policy.Clause{Text: fmt.Sprintf("参保人数不少于%d人", k), Rule: fmt.Sprintf("fact.insured_employees >= %d", k)}
		},
		func() policy.Clause {
			y := float64(1+rnd.IntN(50)) * 1e6
			return policy.Clause{Text: fmt.Sprintf("营业收入不低于%.0f万元", y/1e4), Rule: fmt.Sprintf("fact.revenue >= %.1f", y)}
		},
		func() policy.Clause {
			y := float64(1+rnd.IntN(20)) * 1e5
			return policy.Clause{Text: fmt.Sprintf("研发费用不低于%.0f万元", y/1e4), Rule: fmt.Sprintf("fact.rd_spend >= %.1f", y)}
		},
		func() policy.Clause {
			return policy.Clause{Text: "经认定的高新技术企业", Rule: "fact.high_tech == true"}
		},
		func() policy.Clause {
			return policy.Clause{Text: "省级以上专精特新企业", Rule: `fact.specialised_level in ["省级专精特新", "国家级专精特新小巨人"]`}
		},
		func() policy.Clause {
			return policy.Clause{Text: "纳税信用等级为A级或B级", Rule: `fact.credit_grade_tax in ["A", "B"]`}
		},
		func() policy.Clause {
			k := 1 + rnd.IntN(10)
			return policy.Clause{Text: fmt.Sprintf("成立满%d年", k), Rule: fmt.Sprintf("biz.age_years >= %d", k)}
		},
		func() policy.Clause {
			k := float64(1+rnd.IntN(30)) * 1e6
			return policy.Clause{Text: fmt.Sprintf("注册资本不低于%.0f万元", k/1e4), Rule: fmt.Sprintf("biz.capital >= %.1f", k)}
		},
	}
	benefits := []string{"double(fact.employees) * 500.0", "fact.rd_spend * 0.1", "fact.tax_paid * 0.05", "200000.0",
		"fact.revenue > 10000000.0 ? 100000.0 : 30000.0"}
	needs := []string{"", "fact.rd_spend >= 1.0", "", "", ""} // the fact a formula reads beyond the clauses
	out := make([]policy.Input, n)
	for i := range out {
		k := 2 + rnd.IntN(3)
		var cls []policy.Clause
		seen := map[int]bool{}
		for len(cls) < k {
			j := rnd.IntN(len(picks))
			if seen[j] {
				continue
			}
			seen[j] = true
			cls = append(cls, picks[j]())
		}
		b := rnd.IntN(len(benefits))
		if needs[b] != "" && !seen[5] {
			cls = append(cls, policy.Clause{Text: "有研发投入", Rule: needs[b]})
		}
		mode := policy.ModeApply
		if i%4 == 0 {
			mode = policy.ModeAuto
		}
		out[i] = policy.Input{Code: fmt.Sprintf("BENCH-%04d", i), Title: fmt.Sprintf("基准测试政策%d", i),
			SourceDoc: fmt.Sprintf("云政发〔2026〕%d号", i+1), ValidFrom: from, ValidUntil: until, Mode: mode, Clauses: cls,
			Benefit: benefits[b], CapYuan: float64(1+rnd.IntN(50)) * 10000, BudgetYuan: float64(rnd.IntN(3)) * 1e7,
			Exclusions: policy.Exclusions{Serious: true, Abnormal: rnd.IntN(2) == 0, ClassD: true, Granted: true}}
	}
	return out
}
