package policy

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"cel.dev/cel-go/cel"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/valid"
)

// The states of a policy.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusExpired   = "expired"
)

// The ways a policy is delivered.
const (
	ModeAuto  = "auto"  // 免申即享: granted without an application, after publicity
	ModeApply = "apply" // 即申即享: one prefilled step, decided by the rule at once
)

// Clause is one condition of eligibility: the text as the source
// document writes it and the rule that decides it.
type Clause struct {
	Text string `json:"text" maxLength:"1000" doc:"The clause as written in the source document"`
	Rule string `json:"rule" maxLength:"2000" doc:"CEL over biz.*, fact.*, credit.*, certificates, grants, today; must give true/false"`
}

// Exclusions are the refusals checked through 信用核查 and the grants.
type Exclusions struct {
	Serious  bool `json:"serious" doc:"严重违法失信名单"`
	Abnormal bool `json:"abnormal" doc:"经营异常名录"`
	ClassD   bool `json:"class_d" doc:"信用风险分类 D"`
	Granted  bool `json:"granted" doc:"already granted this policy"`
}

// Input is what a department writes of a policy.
type Input struct {
	Code          string     `json:"code" maxLength:"40" doc:"The policy's code, e.g. YL-KJJ-2026-01"`
	Title         string     `json:"title" maxLength:"200"`
	SourceDoc     string     `json:"source_doc" maxLength:"300" doc:"The source document (文件名称及文号)"`
	SourceURL     string     `json:"source_url,omitempty" maxLength:"500"`
	ValidFrom     string     `json:"valid_from" doc:"YYYY-MM-DD"`
	ValidUntil    string     `json:"valid_until" doc:"YYYY-MM-DD"`
	Mode          string     `json:"mode" enum:"auto,apply" doc:"auto: 免申即享; apply: 即申即享"`
	Clauses       []Clause   `json:"clauses" maxItems:"30"`
	Benefit       string     `json:"benefit" maxLength:"2000" doc:"CEL formula of the amount in yuan, e.g. fact.rd_spend * 0.1"`
	CapYuan       float64    `json:"cap_yuan" minimum:"0" doc:"Most one business is granted (0: no cap)"`
	BudgetYuan    float64    `json:"budget_yuan" minimum:"0" doc:"The policy's budget (0: no budget)"`
	Exclusions    Exclusions `json:"exclusions"`
	PublicityDays int        `json:"publicity_days,omitempty" minimum:"0" maximum:"60" doc:"Working days of publicity (公示); 0: the default"`
	HowTo         string     `json:"how_to,omitempty" maxLength:"2000" doc:"What an eligible business does (申领方式)"`
}

// Policy is a stored policy.
type Policy struct {
	ID int64 `json:"id"`
	Input
	DepartmentID int64     `json:"department_id"`
	Department   string    `json:"department"`
	RegionCode   string    `json:"region_code"`
	Status       string    `json:"status" enum:"draft,published,expired"`
	PublishedOn  string    `json:"published_on,omitempty"`
	ExpiredOn    string    `json:"expired_on,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{1,39}$`)

func text(p *valid.Problems, path, s string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		p.Add(path, "必填 (required)")
	case utf8.RuneCountInString(s) > max:
		p.Add(path, "最多%d字 (at most %d characters)", max, max)
	default:
		if err := valid.Text(path, s); err != nil {
			p.Add(path, "含有控制字符 (control characters are not allowed)")
		}
	}
}

func yuanToFen(y float64) int64 { return int64(math.Round(y * 100)) }

// check validates in and compiles its rules against e; the problems name
// the field, a refused rule its clause (clauses[2].rule).
func (e *envir) check(in *Input) (*compiled, error) {
	var p valid.Problems
	in.Code = strings.TrimSpace(in.Code)
	if !codePattern.MatchString(in.Code) {
		p.Add("code", "编号为2至40位字母、数字、- 或 _ (2–40 letters, digits, - or _)")
	}
	text(&p, "title", in.Title, true, 200)
	text(&p, "source_doc", in.SourceDoc, true, 300)
	text(&p, "source_url", in.SourceURL, false, 500)
	text(&p, "how_to", in.HowTo, false, 2000)
	from, err1 := calendar.ParseDate(in.ValidFrom)
	until, err2 := calendar.ParseDate(in.ValidUntil)
	if err1 != nil {
		p.Add("valid_from", "日期格式为 YYYY-MM-DD (a date YYYY-MM-DD)")
	}
	if err2 != nil {
		p.Add("valid_until", "日期格式为 YYYY-MM-DD (a date YYYY-MM-DD)")
	}
	if err1 == nil && err2 == nil && until.Before(from) {
		p.Add("valid_until", "截止日期不能早于起始日期 (ends before it starts)")
	}
	if in.Mode != ModeAuto && in.Mode != ModeApply {
		p.Add("mode", "兑现方式为 auto（免申即享）或 apply（即申即享） (auto or apply)")
	}
	if len(in.Clauses) == 0 {
		p.Add("clauses", "至少一项申报条件 (at least one clause)")
	}
	if len(in.Clauses) > 30 {
		p.Add("clauses", "最多30项条件 (at most 30 clauses)")
	}
	if in.CapYuan < 0 || math.IsNaN(in.CapYuan) || in.CapYuan > 1e12 {
		p.Add("cap_yuan", "金额不正确 (invalid amount)")
	}
	if in.BudgetYuan < 0 || math.IsNaN(in.BudgetYuan) || in.BudgetYuan > 1e13 {
		p.Add("budget_yuan", "金额不正确 (invalid amount)")
	}
	if in.PublicityDays < 0 || in.PublicityDays > 60 {
		p.Add("publicity_days", "公示期为0至60个工作日 (0–60 working days)")
	}
	c := &compiled{}
	for i, cl := range in.Clauses {
		text(&p, fmt.Sprintf("clauses[%d].text", i), cl.Text, true, 1000)
		if err := valid.Text("", cl.Rule); err != nil {
			p.Add(fmt.Sprintf("clauses[%d].rule", i), "含有控制字符 (control characters are not allowed)")
			continue
		}
		r, msg := e.compileRule(cl.Rule, cel.BoolType)
		if msg != "" {
			p.Add(fmt.Sprintf("clauses[%d].rule", i), "第%d项条件：%s", i+1, msg)
			continue
		}
		c.rules = append(c.rules, r)
	}
	if valid.Text("", in.Benefit) != nil {
		p.Add("benefit", "含有控制字符 (control characters are not allowed)")
	} else if r, msg := e.compileRule(in.Benefit, cel.DoubleType, cel.IntType); msg != "" {
		p.Add("benefit", "兑现金额公式：%s", msg)
	} else {
		c.benefit = r
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	c.capFen, c.budgetFen = yuanToFen(in.CapYuan), yuanToFen(in.BudgetYuan)
	c.ex = in.Exclusions
	return c, nil
}

// compiled is a policy ready to match.
type compiled struct {
	p         *Policy
	rules     []*rule
	benefit   *rule
	capFen    int64
	budgetFen int64
	ex        Exclusions
}

// inputs are everything known about one business that rules read, with
// where each fact came from.
type inputs struct {
	USCC    string
	vals    []val
	dept    []int64  // source department of each fact slot (0: none)
	asOf    []string // as-of date of each slot
	granted map[string]bool
}

func (e *envir) newInputs() *inputs {
	n := len(e.vars)
	return &inputs{vals: make([]val, n), dept: make([]int64, n), asOf: make([]string, n)}
}

func (in *inputs) reset() {
	clear(in.vals)
	clear(in.dept)
	clear(in.asOf)
	in.granted = nil
}

// outcome is the decision for one business and one policy.
type outcome struct {
	held     []byte // per clause: 'y' held, 'n' not, '?' not known
	eligible bool   // every clause held
	excluded []string
	amount   int64 // fen, capped per business
}

// decide evaluates c for in. With all false it stops at the first clause
// that does not hold: the matcher stores only pairs whose every clause
// held, and a miss is explained later from the stored inputs with all
// true, so it need not evaluate the rest.
func (e *envir) decide(c *compiled, in *inputs, buf []byte, all bool) outcome {
	o := outcome{held: buf[:0], eligible: true}
	for _, r := range c.rules {
		v := r.run(e, in)
		switch {
		case v.k == kBool && v.b:
			o.held = append(o.held, 'y')
		case v.k == kBool:
			o.held, o.eligible = append(o.held, 'n'), false
		default:
			o.held, o.eligible = append(o.held, '?'), false
		}
		if !o.eligible && !all {
			return o
		}
	}
	if !o.eligible {
		return o
	}
	if c.ex.Serious && in.vals[slotSerious].b {
		o.excluded = append(o.excluded, "serious")
	}
	if c.ex.Abnormal && in.vals[slotAbnormal].b {
		o.excluded = append(o.excluded, "abnormal")
	}
	if c.ex.ClassD && in.vals[slotClass].s == "D" {
		o.excluded = append(o.excluded, "class_d")
	}
	if c.ex.Granted && in.granted[c.p.Code] {
		o.excluded = append(o.excluded, "granted")
	}
	if len(o.excluded) > 0 {
		o.eligible = false
		return o
	}
	if v := c.benefit.run(e, in); v.k == kNum && v.n > 0 && !math.IsInf(v.n, 0) {
		o.amount = yuanToFen(v.n)
	}
	if c.capFen > 0 && o.amount > c.capFen {
		o.amount = c.capFen
	}
	return o
}

// exclusionText names an exclusion.
var exclusionText = map[string]string{
	"serious":  "列入严重违法失信名单 (on the serious violations list)",
	"abnormal": "列入经营异常名录 (on the abnormal operations list)",
	"class_d":  "信用风险分类为D类 (credit risk class D)",
	"granted":  "已享受过本政策 (already granted this policy)",
	"budget":   "政策资金已用完 (the policy's budget is exhausted)",
}
