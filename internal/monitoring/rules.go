// Package monitoring receives readings from devices that supervising
// departments register at businesses (智能监测: fuel-station tank levels and
// dispenser totalisers, cold-chain temperatures, …), evaluates rules held as
// data on each batch in memory, and raises graded responses on the business:
// 提醒 (a message), 约谈 (a meeting task) and 检查 (an inspection assignment).
package monitoring

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/yingshang/yingshang/internal/calendar"
)

// Grade is the graded response a rule raises (分级管控).
type Grade string

// The grades, from mild to strong.
const (
	GradeRemind    Grade = "remind"    // 提醒: a message to the business
	GradeInterview Grade = "interview" // 约谈: a meeting task for the department
	GradeCheck     Grade = "check"     // 检查: an inspection assignment
)

// rank orders grades for escalation.
func (g Grade) rank() int {
	switch g {
	case GradeRemind:
		return 1
	case GradeInterview:
		return 2
	case GradeCheck:
		return 3
	}
	return 0
}

// RuleKind says how a rule looks at readings.
type RuleKind string

// The rule kinds.
const (
	KindThreshold RuleKind = "threshold" // a value outside [Min, Max]
	KindRate      RuleKind = "rate"      // Metric falls faster per hour than CompareMetric rises (or than MaxDropPerHour)
	KindGap       RuleKind = "gap"       // no reading for GapMinutes
)

// Rule is one monitoring rule for one device kind.
type Rule struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	DeviceKind string   `json:"device_kind"`
	Kind       RuleKind `json:"kind"`
	Metric     string   `json:"metric"`
	// Threshold bounds; nil means unbounded on that side.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Rate: the largest allowed drop of Metric per hour beyond the rise of
	// CompareMetric over the same interval (e.g. tank level drop beyond
	// dispensed volume = suspected leak or tampering).
	CompareMetric  string  `json:"compare_metric,omitempty"`
	MaxDropPerHour float64 `json:"max_drop_per_hour,omitempty"`
	// Gap: minutes without a reading after which the device is offline.
	GapMinutes int `json:"gap_minutes,omitempty"`
	// Grade is the first response; after EscalateAfter further firings
	// while the alert is open it rises one grade.
	Grade         Grade `json:"grade"`
	EscalateAfter int   `json:"escalate_after,omitempty"`
}

// Bounds writes a threshold rule's allowed range, "∞" for an open side.
func (r Rule) Bounds() string { return bound(r.Min) + " ～ " + bound(r.Max) }

// RuleSet is a versioned set of rules (national/city default or a
// province's own), loaded from JSON.
type RuleSet struct {
	Version int    `json:"version"`
	Scope   string `json:"scope"`
	// AckLimits is, per grade, the time limit within which the department
	// acknowledges an alert (签收), counted on the working-day calendar
	// from when the alert reached its grade (raised, or escalated). A
	// grade the file leaves out takes [DefaultAckLimits].
	AckLimits map[Grade]calendar.Limit `json:"ack_limits,omitempty"`
	// AckWithinHours is the older form of the same setting, in hours on
	// the wall clock; AckLimits wins for a grade both name. Province files
	// written before working-day limits keep working.
	AckWithinHours map[Grade]int `json:"ack_within_hours,omitempty"`
	Rules          []Rule        `json:"rules"`
}

// Grades lists the grades from mild to strong.
var Grades = []Grade{GradeRemind, GradeInterview, GradeCheck}

// DefaultAckLimits are the national defaults for acknowledging an alert.
// No law sets them; they follow the weight of each response:
//
//   - 提醒 (a prompt already sent to the business): 3 working days for the
//     department to take note of it.
//   - 约谈 (a meeting to arrange with the business): 5 working days, so the
//     interview can be scheduled and the business given notice.
//   - 检查 (an inspection assignment raised on a suspected violation): 1
//     working day. The alert is a lead (线索) under 市场监督管理行政处罚程序
//     规定 第十八条, whose 15 working days to verify it and decide on a case
//     run from the lead; acknowledging it the next working day leaves the
//     inspectors that time and the visit window to act.
var DefaultAckLimits = map[Grade]calendar.Limit{
	GradeRemind:    {N: 3, Unit: calendar.WorkingDays},
	GradeInterview: {N: 5, Unit: calendar.WorkingDays},
	GradeCheck:     {N: 1, Unit: calendar.WorkingDays},
}

// AckLimit returns the limit to acknowledge an alert of grade g.
func (rs *RuleSet) AckLimit(g Grade) calendar.Limit {
	if l, ok := rs.AckLimits[g]; ok {
		return l
	}
	if h := rs.AckWithinHours[g]; h > 0 {
		return calendar.Limit{N: h, Unit: calendar.Hours}
	}
	return DefaultAckLimits[g]
}

//go:embed data/rules.json
var defaultRulesJSON []byte

// DefaultRules returns the built-in rule set.
func DefaultRules() (*RuleSet, error) { return ParseRules(defaultRulesJSON) }

// FieldError names the invalid field of an input.
type FieldError struct {
	Field, Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ParseRules decodes and validates a rule set.
func ParseRules(b []byte) (*RuleSet, error) {
	var rs RuleSet
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rs); err != nil {
		return nil, fmt.Errorf("monitoring: decode rules: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("monitoring: decode rules: data after the rule set")
	}
	if err := rs.Validate(); err != nil {
		return nil, err
	}
	return &rs, nil
}

// Validate checks the rule set; the error is a *FieldError naming the rule.
func (rs *RuleSet) Validate() error {
	if rs.Version < 1 {
		return &FieldError{"version", "must be at least 1"}
	}
	if strings.TrimSpace(rs.Scope) == "" || hasControl(rs.Scope) {
		return &FieldError{"scope", "required (national, or the province or city the file is for)"}
	}
	for g, l := range rs.AckLimits {
		max := 90
		if l.Unit == calendar.Hours {
			max = 24 * 90
		}
		if g.rank() == 0 || l.Validate() != nil || l.Unit == calendar.Minutes || l.N < 1 || l.N > max {
			return &FieldError{"ack_limits." + string(g), "a grade (remind, interview, check) and 1 to 90 working_days or calendar_days, or 1 to 2160 hours"}
		}
	}
	for g, h := range rs.AckWithinHours {
		if g.rank() == 0 || h < 1 || h > 24*90 {
			return &FieldError{"ack_within_hours." + string(g), "a grade (remind, interview, check) and 1 to 2160 hours"}
		}
	}
	if len(rs.Rules) == 0 {
		return &FieldError{"rules", "at least one rule"}
	}
	seen := map[string]bool{}
	for i, r := range rs.Rules {
		f := func(name, msg string) error { return &FieldError{fmt.Sprintf("rules[%d].%s", i, name), msg} }
		if r.Code == "" || hasControl(r.Code) || hasControl(r.Name) || hasControl(r.Metric) || hasControl(r.CompareMetric) || hasControl(r.DeviceKind) {
			return f("code", "required, no control characters")
		}
		if strings.TrimSpace(r.Name) == "" {
			return f("name", "required")
		}
		if seen[r.Code] {
			return f("code", "duplicate")
		}
		seen[r.Code] = true
		if r.DeviceKind == "" {
			return f("device_kind", "required")
		}
		if r.Grade.rank() == 0 {
			return f("grade", "must be remind, interview or check")
		}
		if r.EscalateAfter < 0 {
			return f("escalate_after", "must not be negative")
		}
		switch r.Kind {
		case KindThreshold:
			if r.Metric == "" {
				return f("metric", "required")
			}
			if r.Min == nil && r.Max == nil {
				return f("min", "min or max required")
			}
			if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
				return f("min", "greater than max")
			}
		case KindRate:
			if r.Metric == "" {
				return f("metric", "required")
			}
			if r.MaxDropPerHour < 0 || math.IsNaN(r.MaxDropPerHour) || math.IsInf(r.MaxDropPerHour, 0) {
				return f("max_drop_per_hour", "must be a finite non-negative number")
			}
		case KindGap:
			if r.GapMinutes < 1 {
				return f("gap_minutes", "must be at least 1")
			}
		default:
			return f("kind", "must be threshold, rate or gap")
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
