package app

import (
	"context"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/credit"
)

// creditChecker answers casework's credit questions: an enterprise on the
// credit module's serious list (严重违法失信名单) may not use 告知承诺, nor
// may an applicant with an unrepaired false commitment that casework keeps
// itself; the credit class still comes from casework's store until the
// credit module's risk classes exist.
type creditChecker struct {
	*casework.StoreCredit
	credit *credit.Module
	now    func() time.Time
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
