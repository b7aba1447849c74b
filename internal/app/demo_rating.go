package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/rating"
)

// seedDemoRatings rates the demo's decided applications at the window, one
// of them 不满意 so the demo shows an open follow-up and the public
// figures at /ratings/public are not empty.
func (a *App) seedDemoRatings(ctx context.Context) error {
	levels := []rating.Level{rating.VerySatisfied, rating.Satisfied, rating.Dissatisfied, rating.VerySatisfied, rating.Basic}
	n := 0
	for _, st := range []casework.Status{casework.StatusApproved, casework.StatusRejected} {
		apps, _, err := a.Casework.List(ctx, auth.System(), casework.Query{Status: st, Limit: 20})
		if err != nil {
			return fmt.Errorf("demo ratings: %w", err)
		}
		for _, c := range apps {
			staff := auth.System()
			staff.DepartmentIDs = []int64{c.DepartmentID}
			_, err := a.Rating.RateAtWindow(ctx, staff, rating.Subject{Kind: rating.KindCase, ID: c.ID, Event: "decided"},
				rating.Input{Level: levels[n%len(levels)], Comment: ""})
			if err != nil && !errors.Is(err, rating.ErrRated) {
				return fmt.Errorf("demo ratings: case %d: %w", c.ID, err)
			}
			n++
		}
	}
	return nil
}
