package app

import (
	"github.com/yingshang/yingshang/internal/admin"
	"github.com/yingshang/yingshang/internal/web"
)

// adminModule returns the administration console.
func (a *App) adminModule() web.Module {
	return admin.New(admin.Deps{DB: a.DB, Org: a.Org, Auth: a.Auth, Policy: a.Policy,
		Calendar: a.Calendar, Audit: a.Audit, Heads: a.Heads, Flows: a.Flow, RootRegion: a.Config.RootRegion,
		Revisions: a.Revisions, Now: a.Config.Now})
}
