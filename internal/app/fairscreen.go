package app

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/fairscreen"
)

// buildFairScreen builds the automatic fair-competition screening and
// stores its rule library (a city's file or the national default) as the
// first version when none is stored.
func (a *App) buildFairScreen(ctx context.Context) error {
	var err error
	if a.FairScreen, err = fairscreen.NewModule(fairscreen.Deps{DB: a.DB, Policy: a.Policy, Audit: a.Audit,
		Library: a.Config.FairScreenRules, Now: a.Config.Now}); err != nil {
		return err
	}
	if err := a.FairScreen.Start(ctx); err != nil {
		return fmt.Errorf("fairscreen: %w", err)
	}
	return nil
}
