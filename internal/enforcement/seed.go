package enforcement

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/discretion"
)

// SeedDemo writes, once, the demo's penalty cases of 临江区市场监管局: a lead
// awaiting the check, and an opened case of the demo business awaiting its
// intended penalty. inspector and approver are the demo officers.
func SeedDemo(ctx context.Context, m *Module, inspector, approver *auth.Actor, uscc string) error {
	var n int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM enforcement_cases").Scan(&n); err != nil || n > 0 {
		return err
	}
	today := m.today()
	lead := LeadInput{Party: Party{Kind: Organisation, Name: "云澜鲜食餐饮有限公司", USCC: uscc}, MatterCode: "SC-FOOD-001",
		Source: "投诉举报", Summary: "群众举报其冷柜内有超过保质期的乳制品", ViolationOn: today.AddDays(-10).String()}
	if _, err := m.CreateLead(ctx, inspector, lead); err != nil {
		return fmt.Errorf("enforcement: seed lead: %w", err)
	}
	lead.MatterCode, lead.Summary = "SC-PRICE-001", "门店部分商品未明码标价"
	lead.Facts = map[string]string{"first_violation": "true", "harm_slight": "true", "corrected_in_time": "true"}
	c, err := m.CreateLead(ctx, inspector, lead)
	if err != nil {
		return fmt.Errorf("enforcement: seed case: %w", err)
	}
	if _, err := m.OpenCase(ctx, approver, c.ID, "同意立案"); err != nil {
		return fmt.Errorf("enforcement: seed open: %w", err)
	}
	_ = discretion.LevelNone
	return nil
}
