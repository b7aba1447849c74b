package policy

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Value is one value a rule read: what it is, where it came from and as
// of when.
type Value struct {
	Name       string `json:"name" doc:"As written in rules, e.g. fact.employees"`
	Label      string `json:"label"`
	Value      string `json:"value" doc:"As a person reads it; 未报送 when never reported"`
	Unit       string `json:"unit,omitempty"`
	Known      bool   `json:"known"`
	Source     string `json:"source" doc:"The department that reported it, or register / credit / certificates / grants"`
	SourceCode string `json:"source_code,omitempty"`
	AsOf       string `json:"as_of,omitempty"`
}

// ClauseResult is one clause of an explanation.
type ClauseResult struct {
	Text   string  `json:"text"`
	Rule   string  `json:"rule"`
	Held   string  `json:"held" enum:"yes,no,unknown"`
	Values []Value `json:"values"`
	Need   string  `json:"need,omitempty" doc:"What the business lacks for this clause"`
}

// Explanation answers, for one business and one policy, whether it
// qualifies and why.
type Explanation struct {
	PolicyID   int64          `json:"policy_id"`
	Code       string         `json:"code"`
	Title      string         `json:"title"`
	Department string         `json:"department"`
	Mode       string         `json:"mode"`
	USCC       string         `json:"uscc"`
	Eligible   bool           `json:"eligible"`
	Clauses    []ClauseResult `json:"clauses"`
	Excluded   []string       `json:"excluded" doc:"Exclusions found through 信用核查 and past grants"`
	AmountYuan float64        `json:"amount_yuan"`
	Needs      []string       `json:"needs" doc:"What would be needed to qualify"`
	HowTo      string         `json:"how_to,omitempty"`
	MatchedAt  string         `json:"matched_at,omitempty"`
	Grant      *Grant         `json:"grant,omitempty"`
}

var heldName = map[byte]string{'y': "yes", 'n': "no", '?': "unknown"}

// explain builds the explanation of o for c and in.
func (m *Module) explain(ctx context.Context, e *envir, c *compiled, in *inputs, o outcome) *Explanation {
	x := &Explanation{PolicyID: c.p.ID, Code: c.p.Code, Title: c.p.Title, Department: c.p.Department, Mode: c.p.Mode,
		USCC: in.USCC, Eligible: o.eligible, Excluded: []string{}, Needs: []string{}, HowTo: c.p.HowTo,
		AmountYuan: float64(o.amount) / 100}
	codes := map[int64]string{}
	for i, r := range c.rules {
		cr := ClauseResult{Text: c.p.Clauses[i].Text, Rule: r.src, Held: heldName[o.held[i]], Values: []Value{}}
		for _, s := range r.reads {
			cr.Values = append(cr.Values, m.value(ctx, e, in, s, codes))
		}
		if o.held[i] != 'y' {
			cr.Need = e.need(r.root, in)
			if cr.Need == "" {
				cr.Need = "满足条件：" + c.p.Clauses[i].Text
			}
			x.Needs = append(x.Needs, fmt.Sprintf("第%d项：%s", i+1, cr.Need))
		}
		x.Clauses = append(x.Clauses, cr)
	}
	for _, ex := range o.excluded {
		x.Excluded = append(x.Excluded, exclusionText[ex])
		x.Needs = append(x.Needs, "不得"+strings.Split(exclusionText[ex], " (")[0])
	}
	return x
}

func (m *Module) value(ctx context.Context, e *envir, in *inputs, slot int, codes map[int64]string) Value {
	vr := e.vars[slot]
	v := in.vals[slot]
	out := Value{Name: vr.Name, Label: vr.Label, Unit: vr.Unit, Value: v.display(vr), Known: v.k != kUnknown, AsOf: in.asOf[slot]}
	switch vr.Group {
	case srcFact:
		if d := in.dept[slot]; d != 0 {
			if _, ok := codes[d]; !ok {
				codes[d], _ = m.d.DepartmentCode(ctx, d)
			}
			out.SourceCode = codes[d]
			out.Source = m.d.DepartmentName(ctx, d)
		} else if v.k == kUnknown {
			out.Source = "应由 " + strings.Join(vr.Sources, "、") + " 报送 (to be reported by " + strings.Join(vr.Sources, ", ") + ")"
		} else {
			out.Source = "平台 (platform)"
		}
	case srcRegister:
		out.Source = "经营主体名录 (register)"
	case srcCredit:
		out.Source = "信用核查 (credit check)"
	case srcCert:
		out.Source = "电子证照 (certificates)"
	case srcGrant:
		out.Source = "政策兑现记录 (grants)"
	case srcToday:
		out.Source = "—"
	}
	return out
}

// need says what in lacks for n to hold; "" when it cannot say more than
// the clause.
func (e *envir) need(n *node, in *inputs) string {
	v := n.eval(in)
	if v.k == kBool && v.b {
		return ""
	}
	switch n.op {
	case "and":
		var parts []string
		for _, k := range n.kids {
			if s := e.need(k, in); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "；")
	case "or":
		var parts []string
		for _, k := range n.kids {
			if s := e.need(k, in); s != "" {
				parts = append(parts, s)
			}
		}
		if len(parts) == 0 {
			return ""
		}
		return "满足其一：" + strings.Join(parts, " 或 ")
	case "var":
		vr := e.vars[n.slot]
		if in.vals[n.slot].k == kUnknown {
			return e.missing(n.slot)
		}
		return vr.Label + "为“是”（当前：否）"
	case "not":
		if k := n.kids[0]; k.op == "var" {
			if in.vals[k.slot].k == kUnknown {
				return e.missing(k.slot)
			}
			return "不得" + e.vars[k.slot].Label
		}
	case "cmp":
		a, b := n.kids[0], n.kids[1]
		op := n.fn
		if a.op == "lit" && b.op == "var" {
			a, b = b, a
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op]
		}
		if a.op == "var" && b.op == "lit" {
			vr := e.vars[a.slot]
			if in.vals[a.slot].k == kUnknown {
				return e.missing(a.slot)
			}
			want := b.v.display(vr)
			if b.v.k == kStr {
				want = "“" + b.v.s + "”"
			}
			word := map[string]string{"<": "低于", "<=": "不高于", ">": "高于", ">=": "不低于", "==": "为", "!=": "不为"}[op]
			return fmt.Sprintf("%s%s%s%s（当前：%s%s）", vr.Label, word, want, vr.Unit, in.vals[a.slot].display(vr), vr.Unit)
		}
	case "in":
		a, l := n.kids[0], n.kids[1]
		if a.op == "lit" && l.op == "var" {
			switch l.slot {
			case slotCerts:
				return "持有有效证照 " + a.v.s
			case slotGrants:
				return "已获政策 " + a.v.s
			}
		}
		if a.op == "var" && l.op == "list" {
			if in.vals[a.slot].k == kUnknown {
				return e.missing(a.slot)
			}
			var opts []string
			for _, k := range l.kids {
				opts = append(opts, k.v.display(e.vars[a.slot]))
			}
			return fmt.Sprintf("%s为 %s 之一（当前：%s）", e.vars[a.slot].Label, strings.Join(opts, "、"),
				in.vals[a.slot].display(e.vars[a.slot]))
		}
	case "starts":
		if a, b := n.kids[0], n.kids[1]; a.op == "var" && b.op == "lit" {
			if in.vals[a.slot].k == kUnknown {
				return e.missing(a.slot)
			}
			return fmt.Sprintf("%s以“%s”开头（当前：%s）", e.vars[a.slot].Label, b.v.s, in.vals[a.slot].display(e.vars[a.slot]))
		}
	}
	// A value the rule reads that nobody reported is what is missing.
	var miss []string
	walk(n, func(k *node) {
		if k.op == "var" && in.vals[k.slot].k == kUnknown {
			miss = append(miss, e.missing(k.slot))
		}
	})
	return strings.Join(miss, "；")
}

func (e *envir) missing(slot int) string {
	vr := e.vars[slot]
	if len(vr.Sources) > 0 {
		return fmt.Sprintf("缺少%s：请%s报送", vr.Label, strings.Join(vr.Sources, "或"))
	}
	return "缺少" + vr.Label
}

func walk(n *node, fn func(*node)) {
	fn(n)
	for _, k := range n.kids {
		walk(k, fn)
	}
}

func fen(y int64) string { return strconv.FormatFloat(float64(y)/100, 'f', 2, 64) }
