package app

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/warning"
)

// buildRisk builds credit risk classification over the register and the
// credit module, and subscribes it to the credit module's events so that a
// new record, listing or removal reclassifies the business at once.
func (a *App) buildRisk(ctx context.Context) error {
	var err error
	if a.Risk, err = risk.New(risk.Deps{DB: a.DB, Register: a.Entities, Credit: a.Credit, Policy: a.Policy, Audit: a.Audit,
		RootRegion: a.Config.RootRegion, RegionName: a.regionName, Log: a.Log, Now: a.Config.Now,
		ClassesChanged: func(ctx context.Context, tx store.IDB, changes []risk.ClassChange) error {
			cs := make([]warning.Change, len(changes))
			for i, c := range changes {
				cs[i] = warning.Change(c)
			}
			_, err := a.Warnings.ClassesChanged(ctx, tx, cs)
			return err
		}}); err != nil {
		return err
	}
	if err := a.Risk.Start(ctx); err != nil {
		return fmt.Errorf("risk: %w", err)
	}
	for _, topic := range []string{credit.TopicRecorded, credit.TopicListed, credit.TopicRemoved} {
		a.Outbox.Subscribe(topic, a.Risk.Handle)
	}
	return nil
}

// regionName names a region for the risk pages; "" when unknown.
func (a *App) regionName(ctx context.Context, code string) string {
	r, err := a.Org.GetRegion(ctx, code)
	if err != nil || r == nil {
		return ""
	}
	return r.Name
}
