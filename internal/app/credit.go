package app

import (
	"context"
	"errors"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/risk"
	"github.com/yingshang/yingshang/internal/store"
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

// CommitmentRefused asks 信用核查 (purpose commitment) for an enterprise
// before it takes the 告知承诺 path: the check is logged, so the business
// sees that the service hall checked it and with what answer; a person,
// or an unrepaired false commitment, is answered by casework's own store.
func (c creditChecker) CommitmentRefused(ctx context.Context, s casework.Subject) (bool, error) {
	if s.Kind == casework.Enterprise && s.USCC != "" && c.credit != nil {
		res, err := c.credit.Check(ctx, auth.System(), s.USCC, "commitment")
		if err != nil {
			return false, err
		}
		if !res.Allowed {
			return true, nil
		}
	}
	return c.StoreCredit.SeriousViolation(ctx, s)
}

// creditReports gives casework the credit module's signed reports, read
// as the system: casework checks the applicant itself.
type creditReports struct{ credit *credit.Module }

func (c creditReports) ReportByToken(ctx context.Context, token string) (*casework.CreditReport, error) {
	r, err := c.credit.VerifyReport(ctx, token)
	return caseReport(r, err)
}

func (c creditReports) ReportByID(ctx context.Context, id int64) (*casework.CreditReport, error) {
	r, err := c.credit.GetReport(ctx, auth.System(), id)
	return caseReport(r, err)
}

// ReportsOf gives casework the business's newest reports: a material
// accepts only recent ones, so the first page is all an applicant needs
// to choose from.
func (c creditReports) ReportsOf(ctx context.Context, uscc string) ([]casework.CreditReport, error) {
	rs, _, err := c.credit.ReportsOf(ctx, auth.System(), uscc, store.Cursor{}, 50)
	if err != nil {
		return nil, err
	}
	out := make([]casework.CreditReport, 0, len(rs))
	for i := range rs {
		if r, err := caseReport(&rs[i], nil); err == nil {
			out = append(out, *r)
		}
	}
	return out, nil
}

// caseReport converts a credit report for casework; a report whose dates
// do not parse is not genuine.
func caseReport(r *credit.Report, err error) (*casework.CreditReport, error) {
	if errors.Is(err, credit.ErrNotFound) {
		return nil, casework.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	from, e1 := calendar.ParseDate(r.Content.From)
	to, e2 := calendar.ParseDate(r.Content.To)
	on, e3 := calendar.ParseDate(r.Content.IssuedOn)
	return &casework.CreditReport{ID: r.ID, Number: r.Content.Number, USCC: r.Content.USCC, Name: r.Content.Name,
		From: from, To: to, IssuedOn: on, Genuine: r.Genuine && e1 == nil && e2 == nil && e3 == nil, Clean: r.Clean(),
		VerifyPath: "/credit/verify/" + r.Token}, nil
}
