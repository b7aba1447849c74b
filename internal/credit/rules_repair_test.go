package credit_test

import (
	"testing"

	"github.com/yingshang/yingshang/internal/credit"
)

// TestRepairAndReportRules: the national defaults (15 working days to
// decide a repair, 市场监督管理信用修复管理办法; a report covers 3 years) and
// a province's override; a limit of 0 is refused.
func TestRepairAndReportRules(t *testing.T) {
	def := credit.DefaultRules()
	if def.RepairDecideWithin != 15 || def.ReportPeriod.N != 3 || def.ReportPeriod.Unit != "years" {
		t.Errorf("defaults: %d working days, report %v", def.RepairDecideWithin, def.ReportPeriod)
	}
	r, err := credit.ParseRules([]byte(`{"repair_decide_within_working_days": 5, "report_period": {"n": 1, "unit": "years"}}`))
	if err != nil || r.RepairDecideWithin != 5 || r.ReportPeriod.N != 1 || r.RepairAfter != def.RepairAfter {
		t.Errorf("override: %+v %v", r, err)
	}
	for _, bad := range []string{`{"repair_decide_within_working_days": 0}`, `{"report_period": {"n": 0, "unit": "years"}}`} {
		if _, err := credit.ParseRules([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
