package app

import (
	"context"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/risk"
)

// creditChecker answers casework's credit questions: an enterprise on the
// credit module's serious list (严重违法失信名单) may not use 告知承诺, nor
// may an applicant with an unrepaired false commitment that casework keeps
// itself. The credit class of an enterprise is the risk module's
// (信用风险分类); a person, or a business not yet classified (not in the
// register), keeps the answer of casework's own store.
type creditChecker struct {
	*casework.StoreCredit
	credit *credit.Module
	risk   *risk.Module
	now    func() time.Time
}

func (c creditChecker) Class(ctx context.Context, s casework.Subject) (string, error) {
	if s.Kind == casework.Enterprise && s.USCC != "" && c.risk != nil {
		class, err := c.risk.ClassOf(ctx, s.USCC)
		if err != nil || class != "" {
			return class, err
		}
	}
	return c.StoreCredit.Class(ctx, s)
}

func (c creditChecker) SeriousViolation(ctx context.Context, s casework.Subject) (bool, error) {
	if s.Kind == casework.Enterprise && s.USCC != "" {
		on, err := c.credit.OnSeriousList(ctx, s.USCC, calendar.DateOf(c.now()))
		if err != nil || on {
			return on, err
		}
	}
	return c.StoreCredit.SeriousViolation(ctx, s)
}
