package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
)

// maxTokenDays bounds an API token's lifetime; a machine that needs longer
// gets a new token before the old one expires.
const maxTokenDays = 3650

// tokenCreate issues an API token for a user (a machine account such as an
// Open311 client or the 110 interface). The token is shown once on the
// answering page and only its hash is kept.
func (m *Module) tokenCreate(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok || !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	u, err := m.user(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	days, derr := strconv.Atoi(r.PostForm.Get("days"))
	errs := map[string]string{}
	if name == "" || len([]rune(name)) > 64 {
		errs["token_name"] = m.s.Bundle().T(i18n.LangFrom(r.Context()), "admin.token.name_invalid")
	}
	if derr != nil || days < 0 || days > maxTokenDays {
		errs["token_days"] = m.s.Bundle().T(i18n.LangFrom(r.Context()), "admin.token.days_invalid")
	}
	if len(errs) > 0 {
		m.renderUser(w, r, a, http.StatusUnprocessableEntity, &userData{User: u, Form: formOf(u), Errors: errs, Tokens: m.tokens(ctx, u.ID)})
		return
	}
	if m.d.Auth == nil {
		m.fail(w, r, errors.New("admin: no auth service for API tokens"))
		return
	}
	token, tid, err := m.d.Auth.CreateAPIToken(ctx, u.ID, name, time.Duration(days)*24*time.Hour)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.d.Audit.Append(ctx, tx, entry(a, "user.api_token_create", "user", strconv.FormatInt(u.ID, 10),
			u.RegionCode, map[string]any{"token_id": tid, "name": name, "days": days}))
		return err
	})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.renderUser(w, r, a, http.StatusOK, &userData{User: u, Form: formOf(u), NewToken: token, Tokens: m.tokens(ctx, u.ID)})
}

// tokenRevoke revokes one of a user's API tokens at once.
func (m *Module) tokenRevoke(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	id, ok := m.pathID(w, r, "id")
	if !ok {
		return
	}
	tid, ok := m.pathID(w, r, "token")
	if !ok {
		return
	}
	ctx := r.Context()
	u, err := m.user(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if err := m.d.Auth.RevokeAPIToken(ctx, u.ID, tid); err != nil {
		m.fail(w, r, err)
		return
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.d.Audit.Append(ctx, tx, entry(a, "user.api_token_revoke", "user", strconv.FormatInt(u.ID, 10),
			u.RegionCode, map[string]any{"token_id": tid}))
		return err
	})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10), "admin.flash.token_revoked")
}

// tokens lists a user's API tokens for the user page; a failure shows none
// rather than hiding the rest of the page.
func (m *Module) tokens(ctx context.Context, userID int64) []auth.APIToken {
	if m.d.Auth == nil {
		return nil
	}
	ts, err := m.d.Auth.ListAPITokens(ctx, userID)
	if err != nil {
		m.s.Logger().WarnContext(ctx, "admin: list api tokens", "user_id", userID, "err", err)
		return nil
	}
	return ts
}
