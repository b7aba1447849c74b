package hotline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
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
	seen := map[string]bool{}
	for _, r := range s.SendBackReasons {
		if r.Key == "" || strings.TrimSpace(r.Name) == "" || seen[r.Key] || utf8.RuneCountInString(r.Name) > 50 {
			return Settings{}, fmt.Errorf("hotline: settings: send-back reason %q needs a unique key and a name of at most 50 characters", r.Key)
		}
		seen[r.Key] = true
	}
	return s, nil
}
