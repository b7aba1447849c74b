package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/rating"
)

// demoRatingStaff are the demo accounts serving counters, tried in turn
// for each decided application: the first whose scope covers it records
// the rating, so every demo rating carries the id of a staff member who
// could have served the applicant.
var demoRatingStaff = []string{"clerk_lj", "clerk_qs", "handler_scj", "handler_cgj", "handler_qs", "operator"}

// seedDemoRatings rates the demo's decided applications and some closed
// hotline orders at the window (the operator takes a caller's rating on
// the phone), some 不满意 so the demo shows open follow-ups
// (/ratings/followups), figures per staff member (/ratings/figures?by=staff)
// and public figures at /ratings/public.
func (a *App) seedDemoRatings(ctx context.Context) error {
	var staff []*auth.Actor
	for _, name := range demoRatingStaff {
		u, err := a.Org.GetUserByUsername(ctx, name)
		if err != nil {
			continue // a smaller demo without this account
		}
		staff = append(staff, &auth.Actor{UserID: u.ID, Name: u.DisplayName, Roles: u.Roles, RegionCode: u.RegionCode,
			DepartmentIDs: u.DepartmentIDs, USCC: u.USCC})
	}
	levels := []rating.Level{rating.VerySatisfied, rating.Dissatisfied, rating.Satisfied, rating.VerySatisfied, rating.Basic}
	var subjects []rating.Subject
	for _, st := range []casework.Status{casework.StatusApproved, casework.StatusRejected} {
		apps, _, err := a.Casework.List(ctx, auth.System(), casework.Query{Status: st, Limit: 20})
		if err != nil {
			return fmt.Errorf("demo ratings: %w", err)
		}
		for _, c := range apps {
			subjects = append(subjects, rating.Subject{Kind: rating.KindCase, ID: c.ID, Event: "decided"})
		}
	}
	orders, _, err := a.Hotline.List(ctx, auth.System(), hotline.Filter{Status: []hotline.Status{hotline.StatusClosed}, Limit: 8})
	if err != nil {
		return fmt.Errorf("demo ratings: %w", err)
	}
	for _, o := range orders {
		subjects = append(subjects, rating.Subject{Kind: rating.KindHotline, ID: o.ID, Event: "closed"})
	}
	for n, subj := range subjects {
		in := rating.Input{Level: levels[n%len(levels)]}
		for _, s := range staff {
			_, err = a.Rating.RateAtWindow(ctx, s, subj, in)
			if !errors.Is(err, rating.ErrNotFound) {
				break
			}
		}
		if err != nil && !errors.Is(err, rating.ErrRated) && !errors.Is(err, rating.ErrNotFound) {
			return fmt.Errorf("demo ratings: %s %d: %w", subj.Kind, subj.ID, err)
		}
	}
	return nil
}
