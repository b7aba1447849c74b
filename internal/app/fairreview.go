package app

import (
	"context"
	"strings"

	"github.com/yingshang/yingshang/internal/fairreview"
	"github.com/yingshang/yingshang/internal/fairscreen"
)

// buildFairReview builds the fair-competition review over the screening
// module; the review office is the staff of market-regulation departments
// (codes ending in SCJG).
func (a *App) buildFairReview(ctx context.Context) error {
	var err error
	a.FairReview, err = fairreview.New(fairreview.Deps{DB: a.DB, Audit: a.Audit, Box: a.Box, Calendar: a.Calendar.Current(), Now: a.Config.Now,
		Screener: fairScreener{a},
		IsOffice: func(ctx context.Context, id int64) bool {
			d, err := a.Org.Department(ctx, id)
			return err == nil && d != nil && strings.HasSuffix(d.Code, "SCJG")
		},
		DepartmentName: func(ctx context.Context, id int64) string {
			if d, err := a.Org.Department(ctx, id); err == nil && d != nil {
				return d.Name
			}
			return ""
		}})
	return err
}

// fairScreener adapts the screening module to the review's Screener.
type fairScreener struct{ a *App }

func (s fairScreener) Screen(ctx context.Context, text string) ([]fairscreen.Clause, error) {
	sc, err := s.a.FairScreen.Screener(ctx)
	if err != nil {
		return nil, err
	}
	return sc.Screen(ctx, text)
}

func (s fairScreener) Feedback(ctx context.Context, rule, clause string, confirmed bool, reviewer int64) error {
	reason := "公平竞争审查中排除"
	if confirmed {
		reason = "公平竞争审查中确认"
	}
	return s.a.FairScreen.Feedback(ctx, s.a.DB, rule, clause, confirmed, reason, reviewer)
}
