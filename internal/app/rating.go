package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/rating"
)

// ratingSubjects tells the 好差评 module about cases and hotline orders
// through those modules' exported reads, so it never reads their tables.
// The phone for the SMS link is not looked up yet (the notifier's sealed
// SMS path is a follow-up), so no link is sent and people rate online or
// at the window.
type ratingSubjects struct {
	cases   *casework.Module
	hotline *hotline.Module
}

func (s ratingSubjects) Subject(ctx context.Context, kind string, id int64) (rating.Info, error) {
	switch kind {
	case rating.KindCase:
		c, err := s.cases.Get(ctx, auth.System(), id)
		if errors.Is(err, casework.ErrNotFound) {
			return rating.Info{}, rating.ErrNotFound
		}
		if err != nil {
			return rating.Info{}, fmt.Errorf("rating subject: %w", err)
		}
		done := c.Status == casework.StatusApproved || c.Status == casework.StatusRejected || c.Status == casework.StatusRefused
		return rating.Info{PersonID: c.ApplicantUserID, DepartmentID: c.DepartmentID, ItemCode: c.ItemCode, Done: done}, nil
	case rating.KindHotline:
		o, err := s.hotline.Get(ctx, auth.System(), id)
		if errors.Is(err, hotline.ErrNotFound) {
			return rating.Info{}, rating.ErrNotFound
		}
		if err != nil {
			return rating.Info{}, fmt.Errorf("rating subject: %w", err)
		}
		done := o.Status == hotline.StatusClosed || o.Status == hotline.StatusVisited
		return rating.Info{PersonID: o.CallerUserID, DepartmentID: o.LeadDept, ItemCode: o.CategoryCode, Done: done}, nil
	}
	return rating.Info{}, rating.ErrNotFound
}

// ratingDepartments names departments on the public figures.
type ratingDepartments struct{ org *org.Service }

func (d ratingDepartments) DepartmentName(ctx context.Context, id int64) string {
	dep, err := d.org.Department(ctx, id)
	if err != nil {
		return ""
	}
	return dep.Name
}
