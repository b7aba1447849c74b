package casework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/catalog"
)

// ProvideCreditReport: a shared material (无违法违规记录证明) satisfied by
// the applicant business's signed 专用信用报告, checked by the platform
// (已共享); CertificateID holds the report's id.
const ProvideCreditReport Provision = "credit_report"

// CreditReport is what casework needs of a signed 专用信用报告 of the
// credit module to accept it in place of a 无违法违规记录证明.
type CreditReport struct {
	ID       int64
	Number   string
	USCC     string
	Name     string
	From     calendar.Date
	To       calendar.Date
	IssuedOn calendar.Date
	// Genuine says whether the signature holds over what is stored.
	Genuine bool
	// Clean says whether no department's field and no list holds an
	// entry in the period.
	Clean bool
	// VerifyPath is the report's public verification page (its QR code).
	VerifyPath string
}

// CreditReports finds the credit module's reports; the app wires it.
type CreditReports interface {
	// ReportByToken returns the report a verification token names, or an
	// error matching ErrNotFound.
	ReportByToken(ctx context.Context, token string) (*CreditReport, error)
	// ReportByID returns report id, or an error matching ErrNotFound.
	ReportByID(ctx context.Context, id int64) (*CreditReport, error)
	// ReportsOf lists the reports of business uscc, newest first.
	ReportsOf(ctx context.Context, uscc string) ([]CreditReport, error)
}

// ReportRule says which reports a material naming a report type accepts:
// one covering at least PeriodMonths before the end of its period, issued
// at most MaxAgeDays before the application.
type ReportRule struct {
	PeriodMonths int `json:"period_months"`
	MaxAgeDays   int `json:"max_age_days"`
}

// DefaultReportRules are the report types a material may name: the
// 专用信用报告 covering the last year, issued within 30 days (as the
// departments that accept it in place of their certificates ask).
var DefaultReportRules = map[string]ReportRule{
	catalog.CertCreditReport: {PeriodMonths: 12, MaxAgeDays: 30},
}

// ParseReportRules reads a province's report rules, a JSON object of report
// types to rules ({"CT-XYBG": {"period_months": 12, "max_age_days": 30}}),
// over DefaultReportRules: a type it names replaces the default's rule.
// Every period must be 1 to 120 months and every age 1 to 365 days.
func ParseReportRules(raw []byte) (map[string]ReportRule, error) {
	var in map[string]ReportRule
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("casework: report rules: %w", err)
	}
	out := maps.Clone(DefaultReportRules)
	for typ, r := range in {
		if strings.TrimSpace(typ) == "" {
			return nil, fmt.Errorf("casework: report rules: an empty report type")
		}
		if r.PeriodMonths < 1 || r.PeriodMonths > 120 || r.MaxAgeDays < 1 || r.MaxAgeDays > 365 {
			return nil, fmt.Errorf("casework: report rules: %s: period_months must be 1–120 and max_age_days 1–365", typ)
		}
		out[typ] = r
	}
	return out, nil
}

// reportRule returns the rule of a material, if it is satisfied by a
// credit report.
func (m *Module) reportRule(mt *catalog.Material) (ReportRule, bool) {
	if mt.Class != catalog.ClassShared || m.d.Reports == nil {
		return ReportRule{}, false
	}
	r, ok := m.d.ReportRules[mt.CertificateType]
	return r, ok
}

func (m *Module) isReportMaterial(mt *catalog.Material) bool {
	_, ok := m.reportRule(mt)
	return ok
}

// reportToken takes the token out of what an applicant gives: the token
// itself or the verification link of the report's QR code.
func reportToken(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// refuseReport says why report r does not satisfy a material under rule
// for business uscc on day today, or "" when it does.
func refuseReport(r *CreditReport, uscc string, rule ReportRule, today calendar.Date) string {
	switch {
	case !r.Genuine:
		return fmt.Sprintf("信用报告%s签名验证未通过，不能使用 (the report's signature does not verify)", r.Number)
	case r.USCC != uscc:
		return fmt.Sprintf("信用报告%s不是申请人的报告（属于其他经营主体）(the report is of another business)", r.Number)
	case r.IssuedOn.AddDays(rule.MaxAgeDays).Before(today):
		return fmt.Sprintf("信用报告%s出具于%s，超过本材料允许的%d日，请重新下载 (the report is older than %d days)",
			r.Number, r.IssuedOn, rule.MaxAgeDays, rule.MaxAgeDays)
	case r.To.AddDays(rule.MaxAgeDays).Before(today) || r.From.After(monthsBefore(r.To, rule.PeriodMonths).AddDays(1)):
		return fmt.Sprintf("信用报告%s的期间%s至%s未覆盖本材料要求的申请前%d个月 (the report's period does not cover the last %d months)",
			r.Number, r.From, r.To, rule.PeriodMonths, rule.PeriodMonths)
	}
	return ""
}

// monthsBefore returns the day n months before d (the same day number,
// or the month's last day), as 民法典 第二百零二条 counts periods.
func monthsBefore(d calendar.Date, n int) calendar.Date {
	t := d.Start().AddDate(0, -n, 0)
	if t.Day() != d.Day() {
		t = t.AddDate(0, 0, -t.Day())
	}
	return calendar.DateOf(t)
}

// planReport decides how a material satisfied by a credit report is
// provided: the report the applicant chose (mi.CreditReport), or else
// their newest report that satisfies it. A person, who has no such
// report, is checked by the department as before (部门核验).
func (m *Module) planReport(ctx context.Context, who applicant, rule ReportRule, mi *MaterialInput, pm *plannedMaterial,
	path string, p *problems) error {
	if who.kind != Enterprise {
		pm.Provision = ProvideVerification
		return nil
	}
	today := calendar.DateOf(m.now())
	var chosen *CreditReport
	if tok := reportToken(mi.CreditReport); tok != "" {
		r, err := m.d.Reports.ReportByToken(ctx, tok)
		switch {
		case errors.Is(err, ErrNotFound):
			p.Add(path, "信用报告验证未通过：验证码不对应任何报告 (the report does not verify)")
			return nil
		case err != nil:
			return err
		}
		if why := refuseReport(r, who.uscc, rule, today); why != "" {
			p.Add(path, "%s", why)
			return nil
		}
		chosen = r
	} else {
		reports, err := m.d.Reports.ReportsOf(ctx, who.uscc)
		if err != nil {
			return err
		}
		for i := range reports {
			if refuseReport(&reports[i], who.uscc, rule, today) == "" {
				chosen = &reports[i]
				break
			}
		}
		if chosen == nil {
			if len(reports) > 0 {
				p.Add(path, "%s", refuseReport(&reports[0], who.uscc, rule, today))
			} else {
				p.Add(path, "请先在“我的信用”下载专用信用报告，或上传%s (download a credit report first, or upload the material)", pm.Name)
			}
			return nil
		}
	}
	pm.Provision, pm.CertificateID = ProvideCreditReport, chosen.ID
	return nil
}

// SharedReport is how a credit report satisfied a material, as staff and
// the applicant see it.
type SharedReport struct {
	Number     string `json:"number"`
	From       string `json:"from"`
	To         string `json:"to"`
	IssuedOn   string `json:"issued_on"`
	Genuine    bool   `json:"genuine"`
	Clean      bool   `json:"clean"`
	VerifyPath string `json:"verify_path"`
}

// describeReports fills the report of each material an application
// satisfied by a credit report, read again so that staff see whether it
// still verifies.
func (m *Module) describeReports(ctx context.Context, app *Application) {
	if m.d.Reports == nil {
		return
	}
	for i := range app.Materials {
		mt := &app.Materials[i]
		if mt.Provision != ProvideCreditReport || mt.CertificateID == 0 {
			continue
		}
		r, err := m.d.Reports.ReportByID(ctx, mt.CertificateID)
		if err != nil {
			continue
		}
		mt.Report = &SharedReport{Number: r.Number, From: r.From.String(), To: r.To.String(), IssuedOn: r.IssuedOn.String(),
			Genuine: r.Genuine, Clean: r.Clean, VerifyPath: r.VerifyPath}
	}
}

// reportChoices lists the reports an enterprise applicant may choose for
// a material under rule, newest first: those that satisfy it.
func (m *Module) reportChoices(ctx context.Context, uscc string, rule ReportRule, now time.Time) []CreditReport {
	reports, err := m.d.Reports.ReportsOf(ctx, uscc)
	if err != nil {
		return nil
	}
	var out []CreditReport
	for _, r := range reports {
		if refuseReport(&r, uscc, rule, calendar.DateOf(now)) == "" {
			out = append(out, r)
		}
	}
	return out
}
