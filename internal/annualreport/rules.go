package annualreport

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
)

// Rules are the settings of annual reporting. The national defaults are
// embedded (rules.json): reports for the previous year between 1 January
// and 30 June (企业信息公示暂行条例 第八条); a province that sets the window,
// the reminder or the statuses differently gives its own file, read with
// ParseRules over the defaults.
type Rules struct {
	// WindowStart and WindowEnd are the first and last day of the filing
	// window, as MM-DD of the year after the report's year.
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	// RemindDaysBefore is how many days before the window's end a business
	// that has not filed is reminded, once.
	RemindDaysBefore int `json:"remind_days_before"`
	// Statuses are the registration statuses that owe a report.
	Statuses []string `json:"statuses"`
	// DecisionPrefix starts the document number of an automatic listing
	// (列入经营异常名录决定书), e.g. 市监异〔2027〕000001号.
	DecisionPrefix string `json:"decision_prefix"`

	startM, endM time.Month
	startD, endD int
}

//go:embed rules.json
var defaultRules []byte

// DefaultRules returns the national defaults.
func DefaultRules() *Rules {
	r, err := ParseRules(nil)
	if err != nil {
		panic("annualreport: embedded rules: " + err.Error())
	}
	return r
}

// ParseRules reads a province's rules over the national defaults.
func ParseRules(province []byte) (*Rules, error) {
	var r Rules
	if err := json.Unmarshal(defaultRules, &r); err != nil {
		return nil, err
	}
	if len(province) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(province)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("annualreport: rules: %w", err)
		}
	}
	return &r, r.validate()
}

func monthDay(s string) (time.Month, int, error) {
	t, err := time.Parse("01-02", s)
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not MM-DD", s)
	}
	return t.Month(), t.Day(), nil
}

func (r *Rules) validate() error {
	var err error
	if r.startM, r.startD, err = monthDay(r.WindowStart); err != nil {
		return fmt.Errorf("annualreport: rules: window_start: %w", err)
	}
	if r.endM, r.endD, err = monthDay(r.WindowEnd); err != nil {
		return fmt.Errorf("annualreport: rules: window_end: %w", err)
	}
	from, to := r.Window(2025)
	if !from.Before(to) {
		return fmt.Errorf("annualreport: rules: the window must end after it starts")
	}
	if r.RemindDaysBefore < 0 || r.RemindDaysBefore > 180 {
		return fmt.Errorf("annualreport: rules: remind_days_before must be 0 to 180")
	}
	if len(r.Statuses) == 0 {
		return fmt.Errorf("annualreport: rules: statuses may not be empty")
	}
	if strings.TrimSpace(r.DecisionPrefix) == "" {
		return fmt.Errorf("annualreport: rules: decision_prefix is required")
	}
	return nil
}

// Window returns the first and last day on which the report for year is
// filed on time.
func (r *Rules) Window(year int) (from, to calendar.Date) {
	return calendar.NewDate(year+1, r.startM, r.startD), calendar.NewDate(year+1, r.endM, r.endD)
}

// ReportYear returns the year whose report is due in the window around
// day: the previous calendar year.
func ReportYear(day calendar.Date) int { return day.Year() - 1 }
