package app

import (
	"context"
	"errors"
	"time"

	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/inspection"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/visit"
)

// buildInspection builds 双随机、一公开 over the register, the risk
// classes and the certificates. The selection of a draw goes to the
// visit module through Assign, which merges it into visits (综合查一次).
func (a *App) buildInspection() error {
	var err error
	if a.Visits, err = visit.New(visit.Deps{DB: a.DB, Service: visit.NewService(a.Calendar.Current, visit.Config{PublishWorkingDays: a.Config.VisitPublishWorkingDays}, a.Config.Now),
		Policy: a.Policy, Audit: a.Audit, Org: a.Org, Register: a.Entities, Credit: a.Credit, BaseURL: a.Config.BaseURL,
		Now: a.Config.Now}); err != nil {
		return err
	}
	a.Inspections, err = inspection.New(inspection.Deps{DB: a.DB, Policy: a.Policy, Audit: a.Audit, Org: a.Org,
		Register: a.Entities, Classes: a.Risk, Licences: licences{a.Certs.Service, a.DB}, Ratios: a.Config.InspectionRatios,
		Assign: a.Visits.Service().Assign,
		Log:    a.Log, Now: a.Config.Now})
	return err
}

// licences answers whether a business holds a valid certificate of a type.
type licences struct {
	certs *certificate.Service
	db    *store.DB
}

func (l licences) Holds(ctx context.Context, uscc, typeCode string, at time.Time) (bool, error) {
	c, err := l.certs.ValidFor(ctx, l.db, certificate.EnterpriseRef(uscc), typeCode, at)
	if errors.Is(err, certificate.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c != nil, nil
}
