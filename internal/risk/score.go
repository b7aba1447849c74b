package risk

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
)

// leaf is a compiled indicator: where its value comes from and its weight
// in the root's score (the product of its ancestors' shares).
type leaf struct {
	node   *Node
	path   string // keys below the root, "supervision.penalty"
	names  []string
	weight float64
	op     string
	win    int // window (count, exists)
	list   int // listAbnormal or listSerious
	fact   int // fact index
	attr   string
}

const (
	listAbnormal = 0
	listSerious  = 1
)

// compiled is a model ready to score.
type compiled struct {
	model   *Model
	version int64
	leaves  []leaf
}

// window is one (record kind, months) pair some leaf counts.
type window struct {
	kind   string
	months int
	since  string // first decision date counted, for the day of the run
}

// plan is what a run must read for its models: the record windows, the
// facts and whether relations are needed, shared by every model scored in
// the same pass (a trial scores the draft and the published model on the
// same inputs).
type plan struct {
	today   calendar.Date
	windows []window
	byKind  map[string][]int
	facts   []string
	factIdx map[string]int
	since   calendar.Date // the earliest window start
	related bool
	models  []*compiled
}

// newPlan compiles models for the day today.
func newPlan(today calendar.Date, models ...*compiled) *plan {
	p := &plan{today: today, byKind: map[string][]int{}, factIdx: map[string]int{}, since: today}
	winIdx := map[string]int{}
	for _, c := range models {
		for i := range c.leaves {
			l := &c.leaves[i]
			f := l.node.Formula
			switch l.op {
			case OpCount, OpExists:
				k := f.Kind + "/" + strconv.Itoa(f.Months)
				w, ok := winIdx[k]
				if !ok {
					w = len(p.windows)
					winIdx[k] = w
					since := monthsBefore(today, f.Months)
					p.windows = append(p.windows, window{kind: f.Kind, months: f.Months, since: since.String()})
					p.byKind[f.Kind] = append(p.byKind[f.Kind], w)
					if since.Before(p.since) {
						p.since = since
					}
				}
				l.win = w
			case OpFact:
				fi, ok := p.factIdx[f.Name]
				if !ok {
					fi = len(p.facts)
					p.factIdx[f.Name] = fi
					p.facts = append(p.facts, f.Name)
				}
				l.fact = fi
			case OpRelated:
				p.related = true
			}
		}
	}
	p.models = models
	return p
}

// monthsBefore returns the day after the same day n months before d (the
// last n months end today), clamped to the month's end.
func monthsBefore(d calendar.Date, n int) calendar.Date {
	y, m := d.Year(), int(d.Month())-n
	for m < 1 {
		m += 12
		y--
	}
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return calendar.NewDate(y, time.Month(m), min(d.Day(), last)).AddDays(1)
}

// compile flattens m's leaves with their effective weights.
func compile(m *Model, version int64) *compiled {
	c := &compiled{model: m, version: version}
	var walk func(n *Node, path string, names []string, w float64)
	walk = func(n *Node, path string, names []string, w float64) {
		if n.Formula != nil {
			l := leaf{node: n, path: path, names: names, weight: w, op: n.Formula.Op, attr: n.Formula.Name}
			if n.Formula.List == credit.ListSerious {
				l.list = listSerious
			}
			c.leaves = append(c.leaves, l)
			return
		}
		var sum float64
		for _, ch := range n.Children {
			sum += ch.Weight
		}
		for i := range n.Children {
			ch := &n.Children[i]
			p := ch.Key
			if path != "" {
				p = path + "." + ch.Key
			}
			walk(ch, p, append(names[:len(names):len(names)], ch.Name), w*ch.Weight/sum)
		}
	}
	walk(&m.Root, "", nil, 1)
	return c
}

// fact is a fact's value in force.
type fact struct {
	set   bool
	typ   string
	value string
}

// inputs are what is known of one business for scoring.
type inputs struct {
	b       entity.Basic
	counts  []int32
	facts   []fact
	listed  [2]bool
	related [2]int32
}

func (p *plan) newInputs() inputs {
	return inputs{counts: make([]int32, len(p.windows)), facts: make([]fact, len(p.facts))}
}

// reset clears in for the next business, keeping its slices.
func (in *inputs) reset() {
	clear(in.counts)
	clear(in.facts)
	in.listed, in.related = [2]bool{}, [2]int32{}
}

// record counts one record of the business.
func (p *plan) record(in *inputs, kind, decided []byte) {
	for _, w := range p.byKind[string(kind)] {
		if string(decided) >= p.windows[w].since {
			in.counts[w]++
		}
	}
}

// Value is a leaf's value: a number, a text, or missing (a fact the
// business does not have).
type Value struct {
	Num     float64
	Text    string
	IsText  bool
	Missing bool
}

// MarshalJSON writes a number, a string or null.
func (v Value) MarshalJSON() ([]byte, error) {
	switch {
	case v.Missing:
		return []byte("null"), nil
	case v.IsText:
		return json.Marshal(v.Text)
	}
	return []byte(strconv.FormatFloat(v.Num, 'f', -1, 64)), nil
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (v *Value) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*v = Value{Missing: true}
	case len(b) > 0 && b[0] == '"':
		*v = Value{IsText: true}
		return json.Unmarshal(b, &v.Text)
	default:
		*v = Value{}
		return json.Unmarshal(b, &v.Num)
	}
	return nil
}

// String shows v.
func (v Value) String() string {
	switch {
	case v.Missing:
		return "—"
	case v.IsText:
		return v.Text
	}
	return strconv.FormatFloat(v.Num, 'f', -1, 64)
}

// value computes leaf l's value for in.
func (p *plan) value(l *leaf, in *inputs) Value {
	switch l.op {
	case OpCount:
		return Value{Num: float64(in.counts[l.win])}
	case OpExists:
		if in.counts[l.win] > 0 {
			return Value{Num: 1}
		}
		return Value{}
	case OpListed:
		if in.listed[l.list] {
			return Value{Num: 1}
		}
		return Value{}
	case OpRelated:
		return Value{Num: float64(in.related[l.list])}
	case OpFact:
		f := in.facts[l.fact]
		if !f.set {
			return Value{Missing: true}
		}
		if len(l.node.Map) > 0 {
			return Value{Text: f.value, IsText: true}
		}
		switch f.typ {
		case "bool", "boolean":
			if f.value == "true" || f.value == "1" || f.value == "是" {
				return Value{Num: 1}
			}
			return Value{}
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(f.value), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return Value{Missing: true}
		}
		return Value{Num: n}
	case OpAttr:
		switch l.attr {
		case "age_years":
			est, err := calendar.ParseDate(in.b.EstablishedOn)
			if err != nil {
				return Value{Missing: true}
			}
			return Value{Num: ageYears(est, p.today)}
		case "capital_wan":
			return Value{Num: float64(in.b.CapitalYuan) / 10000}
		case "status":
			return Value{Text: in.b.Status, IsText: true}
		case "type":
			return Value{Text: in.b.Type, IsText: true}
		case "industry":
			return Value{Text: section(in.b.Industry), IsText: true}
		}
	}
	return Value{Missing: true}
}

// ageYears is the time from est to today in years: the anniversaries
// passed, and the share of the year since the last one, to two decimals
// rounded down (so a business founded two years ago to the day is 2).
func ageYears(est, today calendar.Date) float64 {
	if !est.Before(today) {
		return 0
	}
	y := today.Year() - est.Year()
	anniversary := func(n int) time.Time {
		return time.Date(est.Year()+n, est.Month(), est.Day(), 0, 0, 0, 0, time.UTC)
	}
	t := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	if anniversary(y).After(t) {
		y--
	}
	from, to := anniversary(y), anniversary(y+1)
	frac := t.Sub(from).Hours() / to.Sub(from).Hours()
	return math.Floor((float64(y)+frac)*100+1e-9) / 100
}

// section is the GB/T 4754 section letter of an industry code.
func section(industry string) string {
	if industry == "" {
		return ""
	}
	return industry[:1]
}

// scoreOf scores value v of node n.
func scoreOf(n *Node, v Value) float64 {
	switch {
	case v.Missing:
		if n.Missing != nil {
			return *n.Missing
		}
		return n.Else
	case v.IsText:
		if s, ok := n.Map[v.Text]; ok {
			return s
		}
		return n.Else
	}
	s := n.Else
	for _, b := range n.Bands {
		if b.From > v.Num {
			break
		}
		s = b.Score
	}
	return s
}

// result is a business's class under one model.
type result struct {
	class string
	score float64
	vals  []Value
}

// evaluate scores in with model c.
func (p *plan) evaluate(c *compiled, in *inputs, vals []Value) result {
	var total float64
	floor := ClassA
	for i := range c.leaves {
		l := &c.leaves[i]
		v := p.value(l, in)
		vals[i] = v
		s := scoreOf(l.node, v)
		total += l.weight * s
		if s > 0 && l.node.AtLeast != "" && classRank(l.node.AtLeast) > classRank(floor) {
			floor = l.node.AtLeast
		}
	}
	total = math.Round(total*100) / 100
	class := c.model.Thresholds.classOf(total)
	if classRank(floor) > classRank(class) {
		class = floor
	}
	return result{class: class, score: total, vals: vals}
}

// Line explains one indicator of a class: its value, its score and what
// it added to the root's score.
type Line struct {
	Key          string   `json:"key" doc:"Path of keys below the root, e.g. supervision.penalty"`
	Names        []string `json:"names" doc:"Names from the first level down"`
	Value        string   `json:"value"`
	Score        float64  `json:"score" doc:"0 (no risk) to 100"`
	Weight       float64  `json:"weight" doc:"Share of the root score, 0 to 1"`
	Contribution float64  `json:"contribution" doc:"weight × score: points added to the root score"`
	Floor        string   `json:"floor,omitempty" doc:"Class this indicator puts the business in at least"`
}

// explain recomputes the lines of a class from its stored values with the
// model version it was computed with.
func (c *compiled) explain(vals []Value) ([]Line, error) {
	if len(vals) != len(c.leaves) {
		return nil, fmt.Errorf("risk: %d values for the %d indicators of model %d", len(vals), len(c.leaves), c.version)
	}
	out := make([]Line, len(c.leaves))
	for i := range c.leaves {
		l := &c.leaves[i]
		s := scoreOf(l.node, vals[i])
		out[i] = Line{Key: l.path, Names: l.names, Value: vals[i].String(), Score: s,
			Weight: math.Round(l.weight*10000) / 10000, Contribution: math.Round(l.weight*s*100) / 100}
		if s > 0 {
			out[i].Floor = l.node.AtLeast
		}
	}
	return out, nil
}

// encodeVals is the stored form of a class's values: a JSON array.
func encodeVals(vals []Value) string {
	b := make([]byte, 0, 8*len(vals))
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case v.Missing:
			b = append(b, "null"...)
		case v.IsText:
			t, _ := json.Marshal(v.Text)
			b = append(b, t...)
		default:
			b = strconv.AppendFloat(b, v.Num, 'f', -1, 64)
		}
	}
	return string(append(b, ']'))
}

func decodeVals(s string) ([]Value, error) {
	var out []Value
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		return nil, fmt.Errorf("risk: stored values: %w", err)
	}
	return out, nil
}
