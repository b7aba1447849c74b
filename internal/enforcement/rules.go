package enforcement

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
)

//go:embed rules.json
var defaultRules []byte

// Rules are the limits and thresholds a province may set differently, with
// the national defaults in rules.json. Money is in yuan.
type Rules struct {
	// Source names the legal texts the defaults come from.
	Source string `json:"source"`
	// SimpleMaxFineYuan caps a fine decided on the spot (简易程序,
	// 行政处罚法 第五十一条: 200 yuan for a person, 3,000 for an organisation).
	SimpleMaxFineYuan ByParty `json:"simple_max_fine_yuan"`
	// HearingFineYuan is the fine from which the party may ask for a
	// hearing (较大数额罚款, 第六十三条; the amount itself included).
	HearingFineYuan ByParty `json:"hearing_fine_yuan"`
	// CollectiveFineYuan is the fine from which the heads must decide
	// collectively (第五十七条第二款, 情节复杂或者重大违法行为).
	CollectiveFineYuan ByParty `json:"collective_fine_yuan"`
	// HeavyKinds are the penalties other than a fine that need a hearing
	// on request, legal review and collective discussion.
	HeavyKinds []string `json:"heavy_kinds"`
	// LimitationYears is 第三十六条's period, LimitationYearsGrave its
	// period where life, health or financial security is involved and
	// harm occurred.
	LimitationYears      int `json:"limitation_years"`
	LimitationYearsGrave int `json:"limitation_years_grave"`
	// The procedure's limits, in the law's units.
	LeadCheckWorkingDays      int `json:"lead_check_working_days"`
	LeadExtensionWorkingDays  int `json:"lead_extension_working_days"`
	DecisionDays              int `json:"decision_days"`
	DecisionExtensionDays     int `json:"decision_extension_days"`
	HearingRequestWorkingDays int `json:"hearing_request_working_days"`
	DeliveryWorkingDays       int `json:"delivery_working_days"`
	PaymentDays               int `json:"payment_days"`
	// Matters are the violations (违法事项) cases are opened for.
	Matters []Matter `json:"matters"`
}

// ByParty is an amount for a person (自然人) and for an organisation
// (法人或者其他组织).
type ByParty struct {
	Person       int64 `json:"person"`
	Organisation int64 `json:"organisation"`
}

// For returns the amount for a party of kind k.
func (b ByParty) For(k PartyKind) int64 {
	if k == Person {
		return b.Person
	}
	return b.Organisation
}

// Matter is a violation a department penalises, with its legal basis and
// the highest fine the law allows.
type Matter struct {
	Code        string `json:"code"`
	Department  string `json:"department" doc:"Suffix of the department codes that penalise it, e.g. SCJG"`
	Name        string `json:"name"`
	Basis       string `json:"basis"`
	MaxFineYuan int64  `json:"max_fine_yuan"`
	Sector      string `json:"sector" enum:"food,drug,special_equipment,other"`
}

// DefaultRules returns the national defaults.
func DefaultRules() *Rules {
	r, err := ParseRules(defaultRules)
	if err != nil {
		panic("enforcement: rules.json: " + err.Error())
	}
	return r
}

// ParseRules reads rules (a province's file, complete) and checks them.
func ParseRules(raw []byte) (*Rules, error) {
	var r Rules
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("enforcement: rules: %w", err)
	}
	var probs []string
	pos := func(name string, n int64) {
		if n <= 0 {
			probs = append(probs, name+" must be positive")
		}
	}
	for name, b := range map[string]ByParty{"simple_max_fine_yuan": r.SimpleMaxFineYuan,
		"hearing_fine_yuan": r.HearingFineYuan, "collective_fine_yuan": r.CollectiveFineYuan} {
		pos(name+".person", b.Person)
		pos(name+".organisation", b.Organisation)
	}
	for name, n := range map[string]int{"limitation_years": r.LimitationYears, "limitation_years_grave": r.LimitationYearsGrave,
		"lead_check_working_days": r.LeadCheckWorkingDays, "lead_extension_working_days": r.LeadExtensionWorkingDays,
		"decision_days": r.DecisionDays, "decision_extension_days": r.DecisionExtensionDays,
		"hearing_request_working_days": r.HearingRequestWorkingDays, "delivery_working_days": r.DeliveryWorkingDays,
		"payment_days": r.PaymentDays} {
		pos(name, int64(n))
	}
	seen := map[string]bool{}
	for i, m := range r.Matters {
		if m.Code == "" || m.Name == "" || m.Basis == "" || m.MaxFineYuan <= 0 || seen[m.Code] {
			probs = append(probs, fmt.Sprintf("matters[%d]: code (unique), name, basis and max_fine_yuan are required", i))
		}
		seen[m.Code] = true
	}
	if len(probs) > 0 {
		slices.Sort(probs)
		return nil, fmt.Errorf("enforcement: rules: %v", probs)
	}
	return &r, nil
}

// Matter returns the matter code, or false.
func (r *Rules) Matter(code string) (Matter, bool) {
	for _, m := range r.Matters {
		if m.Code == code {
			return m, true
		}
	}
	return Matter{}, false
}

// Heavy reports whether a penalty of kinds and fine (yuan) on a party of
// kind k is one the party may ask a hearing on and that needs legal review
// before the decision (第五十八条, 第六十三条).
func (r *Rules) Heavy(k PartyKind, kinds []string, fineYuan int64) bool {
	if fineYuan >= r.HearingFineYuan.For(k) {
		return true
	}
	for _, x := range kinds {
		if slices.Contains(r.HeavyKinds, x) {
			return true
		}
	}
	return false
}

// Collective reports whether the heads must decide collectively.
func (r *Rules) Collective(k PartyKind, kinds []string, fineYuan int64) bool {
	if fineYuan >= r.CollectiveFineYuan.For(k) {
		return true
	}
	for _, x := range kinds {
		if slices.Contains(r.HeavyKinds, x) {
			return true
		}
	}
	return false
}
