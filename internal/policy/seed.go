package policy

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
)

// SeedDemo writes the demo city's policies of the science and technology
// bureau (dept): a published 免申即享 policy the demo enterprise qualifies
// for and a published 即申即享 one it does not (it is not a certified
// high-tech enterprise), so both answers can be seen, and one published two
// weeks ago whose publicity has ended. It does nothing when
// they exist.
func SeedDemo(ctx context.Context, m *Module, dept int64, region string) error {
	var n int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM policies WHERE code LIKE 'YL-KJJ-DEMO-%'").Scan(&n); err != nil || n > 0 {
		return err
	}
	sys := &auth.Actor{UserID: 0, Name: "演示数据", Roles: []auth.Role{auth.RoleSystem}, RegionCode: region, DepartmentIDs: []int64{dept}}
	today := m.today()
	ins := []Input{
		{Code: "YL-KJJ-DEMO-01", Title: "中小企业稳岗扩岗补助", SourceDoc: "云科发〔2026〕8号", ValidFrom: today.AddDays(-30).String(),
			ValidUntil: today.AddDays(335).String(), Mode: ModeAuto,
			Clauses: []Clause{{Text: "在本市登记且存续", Rule: `biz.region.startsWith("9901") && biz.status == "存续"`},
				{Text: "从业人数不少于20人", Rule: "fact.employees >= 20"},
				{Text: "上年度营业收入不低于100万元", Rule: "fact.revenue >= 1000000.0"}},
			Benefit: "double(fact.employees) * 500.0", CapYuan: 30000, BudgetYuan: 5000000,
			Exclusions: Exclusions{Serious: true, Abnormal: true, ClassD: true, Granted: true}},
		{Code: "YL-KJJ-DEMO-02", Title: "高新技术企业认定奖励", SourceDoc: "云科发〔2026〕9号", ValidFrom: today.AddDays(-30).String(),
			ValidUntil: today.AddDays(335).String(), Mode: ModeApply,
			Clauses: []Clause{{Text: "经认定的高新技术企业", Rule: "fact.high_tech == true"},
				{Text: "研发费用不低于50万元", Rule: "fact.rd_spend >= 500000.0"}},
			Benefit: "100000.0", Exclusions: Exclusions{Serious: true, Abnormal: true, ClassD: true, Granted: true}},
	}
	// A third, 免申即享, was published two weeks ago: its publicity has
	// ended and the grant awaits the department's decision. It excludes
	// class D only, so the demo enterprise (on the abnormal operations
	// list for the credit-repair demo) can be seen through to payment.
	ins = append(ins, Input{Code: "YL-KJJ-DEMO-03", Title: "小微企业纳税贡献奖励", SourceDoc: "云科发〔2026〕7号",
		ValidFrom: today.AddDays(-60).String(), ValidUntil: today.AddDays(305).String(), Mode: ModeAuto,
		Clauses: []Clause{{Text: "在本市登记且存续", Rule: `biz.region.startsWith("9901") && biz.status == "存续"`},
			{Text: "上年度纳税总额不低于10万元", Rule: "fact.tax_paid >= 100000.0"}},
		Benefit: "fact.tax_paid * 0.05", CapYuan: 20000, Exclusions: Exclusions{ClassD: true, Granted: true}})
	for i, in := range ins {
		p, err := m.Create(ctx, sys, dept, in)
		if err != nil {
			return fmt.Errorf("policy: seed %s: %w", in.Code, err)
		}
		if _, _, err := m.Publish(ctx, sys, p.ID); err != nil {
			return fmt.Errorf("policy: seed %s: %w", in.Code, err)
		}
		if i == 2 {
			from := m.d.Now().AddDate(0, 0, -14)
			if _, err := m.d.DB.ExecContext(ctx, "UPDATE policies SET published_on = ? WHERE id = ?", calendar.DateOf(from).String(), p.ID); err != nil {
				return fmt.Errorf("policy: seed %s: %w", in.Code, err)
			}
			if _, err := m.d.DB.ExecContext(ctx, "UPDATE policy_grants SET publicity_from = ?, publicity_until = ? WHERE policy_id = ?",
				calendar.DateOf(from).String(), m.publicityEnd(from, p.PublicityDays), p.ID); err != nil {
				return fmt.Errorf("policy: seed %s: %w", in.Code, err)
			}
		}
	}
	return nil
}
