package risk

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/valid"
)

// The four classes (国市监信发〔2022〕6号): A 信用风险低, B 一般, C 较高,
// D 高.
const (
	ClassA = "A"
	ClassB = "B"
	ClassC = "C"
	ClassD = "D"
)

// Classes lists the classes from the lowest risk.
var Classes = []string{ClassA, ClassB, ClassC, ClassD}

// Model is an indicator model: a tree of indicators whose leaves compute a
// value from a business's records and facts and score it from 0 (no risk)
// to 100; a node's score is the weighted mean of its children's, and the
// root's score decides the class by the thresholds. Provinces differ
// ("5+22+72" in one, 81 indicators in Inner Mongolia), so the model is
// data an administrator edits; the national default is model.json.
type Model struct {
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
	// Thresholds are the lowest scores of classes B, C and D.
	Thresholds Thresholds `json:"thresholds"`
	Root       Node       `json:"root"`
}

// Thresholds are the lowest root scores of classes B, C and D; below B is A.
type Thresholds struct {
	B float64 `json:"B"`
	C float64 `json:"C"`
	D float64 `json:"D"`
}

// Node is one indicator. A node has children or a formula, not both.
type Node struct {
	Key      string  `json:"key"`
	Name     string  `json:"name"`
	NameEN   string  `json:"name_en,omitempty"`
	Weight   float64 `json:"weight,omitempty"`
	Children []Node  `json:"children,omitempty"`
	// Formula computes the leaf's value.
	Formula *Formula `json:"formula,omitempty"`
	// Bands score a numeric value: the score of the last band whose From
	// is at most the value (From strictly ascending); a value below every
	// band scores Else.
	Bands []Band `json:"bands,omitempty"`
	// Map scores a text value (a status, an industry section); a value
	// not in it scores Else.
	Map  map[string]float64 `json:"map,omitempty"`
	Else float64            `json:"else,omitempty"`
	// Missing scores a fact the business does not have; nil means Else.
	Missing *float64 `json:"missing,omitempty"`
	// AtLeast puts the business in this class or a higher one whenever
	// the leaf scores above zero (a serious listing means D, say).
	AtLeast string `json:"at_least_class,omitempty"`
}

// Band is one step of a numeric score.
type Band struct {
	From  float64 `json:"from"`
	Score float64 `json:"score"`
}

// Formula is one of a small declared set of operations over a business's
// records and facts: nothing else can be computed, so a model cannot reach
// data it should not, nor run long.
type Formula struct {
	// Op is one of Ops.
	Op string `json:"op"`
	// Kind is the credit record kind (count, exists).
	Kind string `json:"kind,omitempty"`
	// Months is the window of count and exists: records decided in the
	// last Months months.
	Months int `json:"months,omitempty"`
	// List is "abnormal" or "serious" (listed, related).
	List string `json:"list,omitempty"`
	// Name is the fact's name (fact) or the attribute's (attr: Attrs).
	Name string `json:"name,omitempty"`
}

// The operations a leaf may use.
const (
	OpCount   = "count"   // records of Kind decided in the last Months months
	OpExists  = "exists"  // 1 when there is such a record, else 0
	OpListed  = "listed"  // 1 when on List today, else 0
	OpRelated = "related" // other businesses with the same legal representative on List today
	OpFact    = "fact"    // the value of fact Name (entity_facts) in force today
	OpAttr    = "attr"    // an attribute of the register: Attrs
)

// Ops lists the operations.
var Ops = []string{OpCount, OpExists, OpListed, OpRelated, OpFact, OpAttr}

// Attrs are the register's attributes a leaf may read, and whether each is
// text (scored by Map) or a number (scored by Bands).
var Attrs = map[string]bool{
	"age_years":   false, // years since establishment
	"capital_wan": false, // registered capital in 万元
	"status":      true,  // 登记状态
	"type":        true,  // 主体类型
	"industry":    true,  // GB/T 4754 section letter
}

//go:embed model.json
var defaultModel []byte

// DefaultModel returns the national default model.
func DefaultModel() *Model {
	m, err := ParseModel(defaultModel)
	if err != nil {
		panic("risk: the embedded model.json is invalid: " + err.Error())
	}
	return m
}

// DefaultModelJSON returns the national default model as written.
func DefaultModelJSON() []byte { return bytes.Clone(defaultModel) }

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// maxLeaves and maxDepth bound a model, so that scoring a million
// businesses stays a matter of seconds.
const (
	maxLeaves = 200
	maxDepth  = 6
)

// ParseModel reads a model strictly (unknown fields are errors) and
// validates it. Every problem is reported at once, each naming its node by
// the path of keys from the root ("model.root.supervision.penalty.formula.months").
func ParseModel(b []byte) (*Model, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, &valid.FieldError{Path: "model", Message: "模型不是有效的 JSON (the model is not valid JSON): " + err.Error()}
	}
	if dec.More() {
		return nil, &valid.FieldError{Path: "model", Message: "模型之后还有多余内容 (trailing data after the model)"}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate reports every problem of m.
func (m *Model) Validate() error {
	var p valid.Problems
	if strings.TrimSpace(m.Name) == "" || len([]rune(m.Name)) > 100 || valid.Text("", m.Name) != nil {
		p.Add("model.name", "模型名称必填，不超过100字 (a name of at most 100 characters is required)")
	}
	t := m.Thresholds
	if !(t.B > 0 && t.B < t.C && t.C < t.D && t.D <= 100) {
		p.Add("model.thresholds", "分类阈值须满足 0 < B < C < D ≤ 100 (thresholds must rise: 0 < B < C < D ≤ 100)")
	}
	leaves := 0
	var walk func(n *Node, path string, depth int, root bool)
	walk = func(n *Node, path string, depth int, root bool) {
		if !keyPattern.MatchString(n.Key) {
			p.Add(path, "指标代码 %q 须为小写字母开头的字母、数字、下划线 (key must be lower-case letters, digits, _)", n.Key)
		}
		if strings.TrimSpace(n.Name) == "" || len([]rune(n.Name)) > 100 || valid.Text("", n.Name) != nil || valid.Text("", n.NameEN) != nil {
			p.Add(path+".name", "指标名称必填，不超过100字 (a name of at most 100 characters is required)")
		}
		if !root && !(n.Weight > 0 && n.Weight <= 1000) {
			p.Add(path+".weight", "权重须大于0 (weight must be above 0)")
		}
		if depth > maxDepth {
			p.Add(path, "指标层级不超过%d层 (at most %d levels)", maxDepth, maxDepth)
			return
		}
		switch {
		case len(n.Children) > 0 && n.Formula != nil:
			p.Add(path, "指标不能既有下级指标又有公式 (a node has children or a formula, not both)")
		case len(n.Children) > 0:
			seen := map[string]bool{}
			for i := range n.Children {
				c := &n.Children[i]
				if seen[c.Key] {
					p.Add(path+"."+c.Key, "同级指标代码重复 (duplicate key among siblings)")
				}
				seen[c.Key] = true
				walk(c, path+"."+c.Key, depth+1, false)
			}
		case n.Formula == nil:
			p.Add(path+".formula", "末级指标须有公式 (a leaf needs a formula)")
		default:
			leaves++
			checkLeaf(&p, n, path)
		}
	}
	walk(&m.Root, "model.root", 1, true)
	if leaves > maxLeaves {
		p.Add("model.root", "末级指标不超过%d个 (at most %d leaves)", maxLeaves, maxLeaves)
	}
	if len(p) > 0 {
		return p.Err()
	}
	return nil
}

func score(v float64) bool { return v >= 0 && v <= 100 && !math.IsNaN(v) }

// checkLeaf validates a leaf's formula and scoring.
func checkLeaf(p *valid.Problems, n *Node, path string) {
	f, fp := n.Formula, path+".formula"
	text := false
	switch f.Op {
	case OpCount, OpExists:
		if !credit.Kind(f.Kind).Valid() {
			p.Add(fp+".kind", "未知的信用信息类别 %q (unknown record kind)", f.Kind)
		}
		if f.Months < 1 || f.Months > 120 {
			p.Add(fp+".months", "统计月数为1至120 (months from 1 to 120)")
		}
		if f.List != "" || f.Name != "" {
			p.Add(fp, "%s 只用 kind 和 months (%s takes kind and months only)", f.Op, f.Op)
		}
	case OpListed, OpRelated:
		if f.List != credit.ListAbnormal && f.List != credit.ListSerious {
			p.Add(fp+".list", "名单为 abnormal 或 serious (list must be abnormal or serious)")
		}
		if f.Kind != "" || f.Months != 0 || f.Name != "" {
			p.Add(fp, "%s 只用 list (%s takes list only)", f.Op, f.Op)
		}
	case OpFact:
		if strings.TrimSpace(f.Name) == "" || len([]rune(f.Name)) > 100 || valid.Text("", f.Name) != nil {
			p.Add(fp+".name", "须填写信息项名称 (the fact's name is required)")
		}
		if f.Kind != "" || f.Months != 0 || f.List != "" {
			p.Add(fp, "fact 只用 name (fact takes name only)")
		}
		text = len(n.Map) > 0
	case OpAttr:
		isText, ok := Attrs[f.Name]
		if !ok {
			p.Add(fp+".name", "未知的登记属性 %q，可用 age_years、capital_wan、status、type、industry (unknown attribute)", f.Name)
		}
		if f.Kind != "" || f.Months != 0 || f.List != "" {
			p.Add(fp, "attr 只用 name (attr takes name only)")
		}
		text = isText
	default:
		p.Add(fp+".op", "未知的运算 %q，可用 %s (unknown operation)", f.Op, strings.Join(Ops, "、"))
		return
	}
	if text {
		if len(n.Map) == 0 {
			p.Add(path+".map", "文字取值须按 map 计分 (a text value is scored by map)")
		}
		if len(n.Bands) > 0 {
			p.Add(path+".bands", "文字取值不能按 bands 计分 (a text value is not scored by bands)")
		}
		for k, v := range n.Map {
			if !score(v) {
				p.Add(path+".map."+k, "得分为0至100 (a score from 0 to 100)")
			}
		}
	} else {
		if len(n.Bands) == 0 {
			p.Add(path+".bands", "数值须按 bands 计分 (a numeric value is scored by bands)")
		}
		if len(n.Map) > 0 && f.Op != OpFact {
			p.Add(path+".map", "数值不能按 map 计分 (a numeric value is not scored by map)")
		}
		for i, b := range n.Bands {
			if !score(b.Score) {
				p.Add(fmt.Sprintf("%s.bands[%d].score", path, i), "得分为0至100 (a score from 0 to 100)")
			}
			if i > 0 && !(b.From > n.Bands[i-1].From) {
				p.Add(fmt.Sprintf("%s.bands[%d].from", path, i), "分档起点须递增 (band starts must rise)")
			}
		}
	}
	if !score(n.Else) {
		p.Add(path+".else", "得分为0至100 (a score from 0 to 100)")
	}
	if n.Missing != nil && (!score(*n.Missing) || f.Op != OpFact) {
		p.Add(path+".missing", "missing 只用于 fact，得分为0至100 (missing is for facts, a score from 0 to 100)")
	}
	if n.AtLeast != "" && !slices.Contains(Classes[1:], n.AtLeast) {
		p.Add(path+".at_least_class", "最低类别为 B、C 或 D (B, C or D)")
	}
}

// classOf returns the class of a root score.
func (t Thresholds) classOf(s float64) string {
	switch {
	case s >= t.D:
		return ClassD
	case s >= t.C:
		return ClassC
	case s >= t.B:
		return ClassB
	}
	return ClassA
}

// classRank orders classes from the lowest risk.
func classRank(c string) int { return slices.Index(Classes, c) }
