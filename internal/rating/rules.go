package rating

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/yingshang/yingshang/internal/valid"
)

// Rules are the settings of 好差评 a province may set differently.
//
// 国办发〔2019〕51号 三(九) 强化差评整改 requires a 差评 to be verified
// (核实), rectified (整改, "限期整改" for what cannot be fixed at once) and
// answered (反馈) to the person, with every 实名差评 visited back; it sets
// the 限期 in the local rules rather than in its own text, and provinces
// and cities publish their own (德州 5 working days, others 7 days). The
// national default here, 15 working days, is the figure commonly taken
// from the national scheme and GB/T 39735; a province writes its own in
// FollowUpWorkingDays. The SMS link's validity is a local choice.
type Rules struct {
	// FollowUpWorkingDays is the limit, in working days counted from the
	// day of the rating, for the department to verify, rectify and answer
	// a bad rating (核实、整改、反馈).
	FollowUpWorkingDays int `json:"follow_up_working_days"`
	// TokenHours is how long an SMS rating link stays valid.
	TokenHours int `json:"token_hours"`
}

// DefaultRules returns the national defaults.
func DefaultRules() *Rules { return &Rules{FollowUpWorkingDays: 15, TokenHours: 7 * 24} }

// ParseRules reads rules from JSON over the national defaults, so a
// province names only what it changes, and validates them.
func ParseRules(b []byte) (*Rules, error) {
	r := DefaultRules()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("rating: rules: %w: %v", valid.ErrInvalid, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// Validate refuses limits that would make the rules meaningless.
func (r *Rules) Validate() error {
	if r.FollowUpWorkingDays < 1 || r.FollowUpWorkingDays > 60 {
		return &valid.FieldError{Path: "follow_up_working_days", Message: "须为 1 至 60 个工作日 (must be 1 to 60 working days)"}
	}
	if r.TokenHours < 1 || r.TokenHours > 90*24 {
		return &valid.FieldError{Path: "token_hours", Message: "须为 1 至 2160 小时 (must be 1 to 2160 hours)"}
	}
	return nil
}
