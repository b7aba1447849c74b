package app

import "github.com/yingshang/yingshang/internal/web"

// adminModule returns the administration console.
func (a *App) adminModule() web.Module {
	return web.ModuleFunc(func(s *web.Server) error { return nil })
}
