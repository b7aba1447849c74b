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
	// AckWithinHours is, per grade, the hours within which the department
	// acknowledges an alert (签收); the queue shows what is overdue.
	AckWithinHours map[Grade]int `json:"ack_within_hours,omitempty"`
	Rules          []Rule        `json:"rules"`
}

// Grades lists the grades from mild to strong.
var Grades = []Grade{GradeRemind, GradeInterview, GradeCheck}

// AckLimit returns the hours to acknowledge an alert of grade g (24 when
// the file says nothing).
func (rs *RuleSet) AckLimit(g Grade) int {
	if h := rs.AckWithinHours[g]; h > 0 {
		return h
	}
	return 24
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
