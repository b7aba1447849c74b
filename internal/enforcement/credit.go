package enforcement

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
)

// RecordCredit handles TopicDecided: a penalty on an organisation with a
// code becomes a 行政处罚 credit record of the deciding department, under
// the decision number, so a redelivered event writes nothing more. The
// credit module's rules decide its publication (only ordinary-procedure
// penalties, not a warning alone, within 20 working days, 3 months or 3
// years). 不予处罚 writes nothing.
func (m *Module) RecordCredit(ctx context.Context, e outbox.Event) error {
	var p struct {
		ID int64 `json:"id"`
	}
	if err := e.Decode(&p); err != nil {
		return err
	}
	if m.d.Credit == nil {
		return nil
	}
	c, err := m.load(ctx, m.d.DB, p.ID)
	if err != nil {
		return err
	}
	dec := c.Decision
	if dec == nil || dec.Level == discretion.LevelNone || c.Party.Kind != Organisation || c.Party.USCC == "" {
		return nil
	}
	dept, err := m.d.Org.Department(ctx, c.DepartmentID)
	if err != nil {
		return err
	}
	mt, _ := m.d.Rules.Matter(c.MatterCode)
	sector := mt.Sector
	if sector == "" {
		sector = "other"
	}
	// The record is the deciding department's, written in its name by the
	// officer who decided.
	writer := &auth.Actor{UserID: dec.ByID, Name: dec.ByName, Roles: []auth.Role{auth.RoleApprover},
		DepartmentIDs: []int64{dept.ID}, RegionCode: dept.RegionCode}
	content := fmt.Sprintf("%s：%s", mt.Name, c.Summary)
	_, _, err = m.d.Credit.RecordOnce(ctx, writer, credit.RecordInput{USCC: c.Party.USCC, Kind: credit.KindPenalty,
		DecisionNo: dec.No, DecisionDate: dec.On, LegalBasis: mt.Basis, Content: pii.MaskText(content),
		Penalty: &credit.Penalty{Procedure: string(c.Procedure), Subject: string(c.Party.Kind), Sector: sector,
			Kinds: dec.Kinds, FineYuan: dec.FineYuan()}})
	if err != nil {
		return fmt.Errorf("enforcement: credit record of %s: %w", c.Number, err)
	}
	return nil
}
