package app

import (
	"context"
	"strconv"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/cluster"
	"github.com/yingshang/yingshang/internal/knowledge"
)

// listenForChanges tells each module's caches what other nodes changed
// (PostgreSQL only; migration 0021 names the tables and their keys). An
// empty key means anything in the table may have changed: the whole cache
// goes. A key that does not parse is treated the same way.
func (a *App) listenForChanges() {
	l := a.Changes
	id := func(fn func(int64)) cluster.Handler {
		return func(_ context.Context, key string) {
			n, err := strconv.ParseInt(key, 10, 64)
			if err != nil || n <= 0 {
				n = 0
			}
			fn(n)
		}
	}
	user := id(func(n int64) {
		if n == 0 {
			a.Auth.ForgetTokens()
			return
		}
		a.Auth.ForgetUser(n)
	})
	l.On("api_tokens", id(func(n int64) {
		if n == 0 {
			a.Auth.ForgetTokens()
			return
		}
		a.Auth.ForgetToken(n)
	}))
	l.On("users", user)
	l.On("user_roles", user)
	l.On("user_departments", user)
	l.On("departments", id(func(n int64) {
		a.Org.ForgetDepartment(n)
		// Department names appear on guides, the FAQ and certificates.
		a.Web.ForgetAllPages()
	}))
	calendar := func(ctx context.Context, _ string) {
		if err := a.Calendar.Reload(ctx); err != nil {
			a.Log.Warn("reload calendar after a change on another node", "err", err)
		}
	}
	l.On("calendar_years", calendar)
	l.On("calendar_days", calendar)
	l.On("hotline_categories", func(ctx context.Context, _ string) {
		if err := a.Hotline.ReloadCategories(ctx); err != nil {
			a.Log.Warn("reload hotline categories after a change on another node", "err", err)
		}
	})
	l.On("hotline_directory", func(context.Context, string) { a.Hotline.ForgetDirectory() })
	l.On("flow_definitions", func(_ context.Context, key string) { a.Flow.ForgetLatest(key) })
	l.On("certificates", id(func(n int64) {
		if n == 0 {
			a.Certs.ForgetAll()
			return
		}
		a.Certs.Forget(n)
	}))
	l.On("certificate_types", func(_ context.Context, key string) {
		a.Certs.ForgetType(key)
		a.Web.ForgetPages(certificate.PageGroup)
	})
	catalogPages := func(context.Context, string) { a.Web.ForgetPages(catalog.PageGroup) }
	l.On("catalog_items", catalogPages)
	l.On("catalog_versions", catalogPages)
	l.On("kb_articles", func(context.Context, string) { a.Web.ForgetPages(knowledge.PageGroup) })
}
