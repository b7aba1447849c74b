package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/rating"
)

// demoRatingStaff are the demo accounts serving counters, tried in turn
// for each decided application: the first whose scope covers it records
// the rating, so every demo rating carries the id of a staff member who
// could have served the applicant.
var demoRatingStaff = []string{"clerk_lj", "clerk_qs", "handler_scj", "handler_cgj", "handler_qs"}

// seedDemoRatings rates the demo's decided applications at the window, one
// in five 不满意 so the demo shows open follow-ups (/ratings/followups),
// figures per staff member (/ratings/figures?by=staff) and public figures
// at /ratings/public.
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
	levels := []rating.Level{rating.VerySatisfied, rating.Satisfied, rating.Dissatisfied, rating.VerySatisfied, rating.Basic}
	n := 0
	for _, st := range []casework.Status{casework.StatusApproved, casework.StatusRejected} {
		apps, _, err := a.Casework.List(ctx, auth.System(), casework.Query{Status: st, Limit: 20})
		if err != nil {
			return fmt.Errorf("demo ratings: %w", err)
		}
		for _, c := range apps {
			subj := rating.Subject{Kind: rating.KindCase, ID: c.ID, Event: "decided"}
			in := rating.Input{Level: levels[n%len(levels)]}
			for _, s := range staff {
				_, err = a.Rating.RateAtWindow(ctx, s, subj, in)
				if !errors.Is(err, rating.ErrNotFound) {
					break
				}
			}
			if err != nil && !errors.Is(err, rating.ErrRated) && !errors.Is(err, rating.ErrNotFound) {
				return fmt.Errorf("demo ratings: case %d: %w", c.ID, err)
			}
			n++
		}
	}
	return nil
}
