package app

import (
	"context"

	"github.com/yingshang/yingshang/internal/discretion"
)

// buildDiscretion builds the discretion engine over the published lists in
// force (the national default unless Config.DiscretionLists names a file).
func (a *App) buildDiscretion(ctx context.Context) error {
	var err error
	a.Discretion, err = discretion.New(discretion.Deps{DB: a.DB, Lists: a.Config.DiscretionLists, Now: a.Config.Now,
		DepartmentCode: func(ctx context.Context, id int64) string {
			d, err := a.Org.GetDepartment(ctx, id)
			if err != nil || d == nil {
				return ""
			}
			return d.Code
		}})
	return err
}
