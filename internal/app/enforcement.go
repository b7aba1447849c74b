package app

import (
	"context"

	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/enforcement"
	"github.com/yingshang/yingshang/internal/store"
)

// buildEnforcement builds the penalty cases over the flow engine, the
// credit module and the discretion engine.
func (a *App) buildEnforcement() error {
	var err error
	a.Enforcement, err = enforcement.New(enforcement.Deps{DB: a.DB, Flow: a.Flow, Org: a.Org, Policy: a.Policy, Audit: a.Audit,
		Box: a.Box, Discretion: enforcementDiscretion{a.Discretion}, Credit: a.Credit, Now: a.Config.Now})
	if err != nil {
		return err
	}
	a.Outbox.Subscribe(enforcement.TopicDecided, a.Enforcement.RecordCredit)
	return nil
}

// enforcementDiscretion gives penalty cases the discretion engine's
// proposals and keeps their outcomes for its figures.
type enforcementDiscretion struct{ m *discretion.Module }

func (d enforcementDiscretion) Propose(ctx context.Context, q discretion.Query) (discretion.Proposal, error) {
	return d.m.Propose(ctx, q)
}

func (d enforcementDiscretion) RecordOutcome(ctx context.Context, tx store.IDB, o enforcement.Outcome) error {
	proposed := o.Proposed
	if proposed == "" {
		proposed = o.Level // no proposal (a time-barred case): nothing to depart from
	}
	return d.m.RecordOutcome(ctx, tx, discretion.Outcome{CaseRef: o.CaseNumber, DepartmentCode: o.DepartmentCode,
		MatterCode: o.MatterCode, Proposed: proposed, Decided: o.Level, FineFen: o.FineFen, Departed: o.Departed,
		Reason: o.Reason, FirstViolation: o.FirstViolation, Education: o.Education, Version: o.Version, DecidedOn: o.DecidedOn})
}
