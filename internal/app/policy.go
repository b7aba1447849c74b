package app

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/policy"
)

// buildPolicies builds policies that find the business over the register,
// credit (listings, risk classes, 信用核查) and certificates, and
// subscribes them to the register's and credit's events so that a changed
// fact or listing re-matches the business at once. Their messages go out
// through notify.
func (a *App) buildPolicies() error {
	var err error
	a.Policies, err = policy.New(policy.Deps{DB: a.DB, Register: policy.EntityRegister{Service: a.Entities},
		Credit: policyCredit{a: a}, Classes: a.Risk, Certificates: a.Certs, Policy: a.Policy, Audit: a.Audit,
		Calendar: a.Calendar.Current, DepartmentCode: a.departmentCode, DepartmentName: a.departmentName,
		PublicityDays: a.Config.PolicyPublicityDays, Log: a.Log, Now: a.Config.Now})
	if err != nil {
		return err
	}
	for _, topic := range []string{entity.TopicFactsChanged, credit.TopicRecorded, credit.TopicListed, credit.TopicRemoved} {
		a.Outbox.Subscribe(topic, a.Policies.Handle)
	}
	a.Outbox.Subscribe(policy.TopicNotice, a.Notify.PolicyNotices())
	return nil
}

func (a *App) departmentName(ctx context.Context, id int64) string {
	d, err := a.Org.Department(ctx, id)
	if err != nil {
		return fmt.Sprint(id)
	}
	return d.Name
}

// policyCredit is what policies read of credit: the listings and 信用核查
// for subsidies. Risk classes and certificates are read through their
// own modules (*risk.Module, *certificate.Service).
type policyCredit struct{ a *App }

func (c policyCredit) ScanListings(ctx context.Context, lo, hi string, asOf calendar.Date, fn func(uscc, list string) error) error {
	return c.a.Credit.ScanListings(ctx, lo, hi, asOf, fn)
}

func (c policyCredit) Check(ctx context.Context, uscc string) (bool, []string, error) {
	res, err := c.a.Credit.Check(ctx, auth.System(), uscc, "subsidy")
	if err != nil {
		return false, nil, err
	}
	var reasons []string
	for _, r := range res.Reasons {
		reasons = append(reasons, r.Text)
	}
	return res.Allowed, reasons, nil
}
