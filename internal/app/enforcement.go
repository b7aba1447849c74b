package app

import (
	"github.com/yingshang/yingshang/internal/enforcement"
)

// buildEnforcement builds the penalty cases over the flow engine and the
// credit module. Until the discretion engine (package discretion) is
// merged, its small stand-in enforcement.BasicDiscretion proposes.
func (a *App) buildEnforcement() error {
	var err error
	a.Enforcement, err = enforcement.New(enforcement.Deps{DB: a.DB, Flow: a.Flow, Org: a.Org, Policy: a.Policy, Audit: a.Audit,
		Box: a.Box, Discretion: &enforcement.BasicDiscretion{Rules: enforcement.DefaultRules()}, Credit: a.Credit, Now: a.Config.Now})
	if err != nil {
		return err
	}
	a.Outbox.Subscribe(enforcement.TopicDecided, a.Enforcement.RecordCredit)
	return nil
}
