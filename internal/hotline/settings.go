package hotline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/flow"
)

// Settings are the hotline rules a province may set differently from the
// national default kept in hotline.json ("settings"): how many working
// days the co-handling departments (协办单位) have to contribute, and the
// standard reasons a department picks from when it sends an order back.
type Settings struct {
	// CoHandleDays is the 协办时限: working days from dispatch within which
	// an assisting department adds its opinion, reply part and attachments.
	CoHandleDays int `json:"co_handle_days"`
	// SendBackReasons are the standard 退单 reasons, in the order offered.
	SendBackReasons []SendBackReason `json:"send_back_reasons"`
	// UtilitySignFor is the sign-for limit of an outage of water, power,
	// gas or heating (TierUtility; 30 minutes by default), on the wall clock.
	UtilitySignFor flow.Limit `json:"utility_sign_for"`
	// UtilityCategories are the category codes of those outages; a field
	// code covers its matters.
	UtilityCategories []string `json:"utility_categories"`
	// UrgentHandle is the handling limit of an urgent order (TierDanger):
	// 0 working days, the close of the day it is signed for (当日办结).
	UrgentHandle flow.Limit `json:"urgent_handle"`
	// VisitDays is the return-visit limit (回访时限): working days from
	// closure within which the centre calls the citizen back (default 2).
	VisitDays int `json:"visit_days"`
	// VisitAttempts is how many failed call attempts end the return visit
	// as 无法联系 (default 3).
	VisitAttempts int `json:"visit_attempts"`
	// DisputeDays is the limit within which the centre decides a
	// jurisdiction dispute (管辖争议): working days from the second
	// department's send-back (default 1).
	DisputeDays int `json:"dispute_days"`
}

// SendBackReason is one standard reason for sending an order back.
type SendBackReason struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Reason returns the standard reason keyed key.
func (s Settings) Reason(key string) (SendBackReason, bool) {
	for _, r := range s.SendBackReasons {
		if r.Key == key {
			return r, true
		}
	}
	return SendBackReason{}, false
}

// splitDefinition returns the workflow part of hotline.json (what
// flow.Parse reads) and its "settings" object.
func splitDefinition(raw []byte) (def, settings []byte, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, nil, fmt.Errorf("hotline: hotline.json: %w", err)
	}
	settings = top["settings"]
	delete(top, "settings")
	def, err = json.Marshal(top)
	return def, settings, err
}

// ParseSettings reads the default settings of hotline.json and, over them,
// a province's override (nil for none): every field the override names
// replaces the default. Unknown fields and out-of-range values are refused.
func ParseSettings(override []byte) (Settings, error) {
	_, raw, err := splitDefinition(baseDefinition)
	if err != nil {
		return Settings{}, err
	}
	var s Settings
	for i, b := range [][]byte{raw, override} {
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return Settings{}, fmt.Errorf("hotline: settings (%s): %w", [2]string{"default", "override"}[i], err)
		}
	}
	if s.CoHandleDays < 1 || s.CoHandleDays > 15 {
		return Settings{}, fmt.Errorf("hotline: settings: co_handle_days must be 1 to 15 working days, not %d", s.CoHandleDays)
	}
	if len(s.SendBackReasons) == 0 {
		return Settings{}, fmt.Errorf("hotline: settings: send_back_reasons must name at least one reason")
	}
	if u := s.UtilitySignFor; !((u.Unit == flow.Minutes && u.N >= 1 && u.N <= 1440) || (u.Unit == flow.Hours && u.N >= 1 && u.N <= 24)) {
		return Settings{}, fmt.Errorf("hotline: settings: utility_sign_for must be 1 to 1440 minutes or 1 to 24 hours, not %d %s", u.N, u.Unit)
	}
	if u := s.UrgentHandle; u.Unit != flow.WorkDays || u.N < 0 || u.N > 5 {
		return Settings{}, fmt.Errorf("hotline: settings: urgent_handle must be 0 (the same day) to 5 working days, not %d %s", u.N, u.Unit)
	}
	if s.VisitDays < 1 || s.VisitDays > 10 {
		return Settings{}, fmt.Errorf("hotline: settings: visit_days must be 1 to 10 working days, not %d", s.VisitDays)
	}
	if s.VisitAttempts < 1 || s.VisitAttempts > 10 {
		return Settings{}, fmt.Errorf("hotline: settings: visit_attempts must be 1 to 10, not %d", s.VisitAttempts)
	}
	if s.DisputeDays < 1 || s.DisputeDays > 5 {
		return Settings{}, fmt.Errorf("hotline: settings: dispute_days must be 1 to 5 working days, not %d", s.DisputeDays)
	}
	for _, c := range s.UtilityCategories {
		if len(c) != 6 || !digits(c) {
			return Settings{}, fmt.Errorf("hotline: settings: utility category %q must be a 6-digit code", c)
		}
	}
	seen := map[string]bool{}
	for _, r := range s.SendBackReasons {
		if r.Key == "" || strings.TrimSpace(r.Name) == "" || seen[r.Key] || utf8.RuneCountInString(r.Name) > 50 {
			return Settings{}, fmt.Errorf("hotline: settings: send-back reason %q needs a unique key and a name of at most 50 characters", r.Key)
		}
		seen[r.Key] = true
	}
	return s, nil
}
