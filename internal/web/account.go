package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
)

// The account page (/account) and its API (/api/v1/account/…) let every
// signed-in person change their password and see and end their sessions.
// While a password set by an administrator awaits its change, these (with
// sign-out and /api/v1/me) are all a session may use.

// accountData is the data of the account page.
type accountData struct {
	Sessions []auth.Session
	// Must is set while the password is one an administrator chose.
	Must bool
	// Notice is the message key of what was just done.
	Notice string
	// Errors are message keys by form field name.
	Errors map[string]string
	// Seconds is how long a throttled password change must wait.
	Seconds int
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, d *accountData) {
	a := auth.FromContext(r.Context())
	d.Must = a.MustChangePassword
	ss, err := s.cfg.Sessions.ListSessions(r.Context(), a.UserID, sessionToken(r.Context()))
	if err != nil {
		s.log.ErrorContext(r.Context(), "account: list sessions", "request_id", RequestID(r.Context()), "err", err)
		s.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	d.Sessions = ss
	w.Header().Set("Cache-Control", "no-store")
	s.RenderStatus(w, r, status, "web/account.html", d)
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	d := &accountData{}
	switch {
	case r.URL.Query().Get("changed") != "":
		d.Notice = "web.account.password.changed"
	case r.URL.Query().Get("ended") != "":
		d.Notice = "web.account.sessions.ended"
	}
	s.renderAccount(w, r, http.StatusOK, d)
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request) {
	if !s.ParseForm(w, r) {
		return
	}
	current, next := r.PostForm.Get("current_password"), r.PostForm.Get("new_password")
	errs := map[string]string{}
	if current == "" {
		errs["current_password"] = "web.account.error.required"
	}
	if next == "" {
		errs["new_password"] = "web.account.error.required"
	} else if next != r.PostForm.Get("confirm_password") {
		errs["confirm_password"] = "web.account.error.mismatch"
	}
	if len(errs) > 0 {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, &accountData{Errors: errs})
		return
	}
	err := s.changePassword(r.Context(), current, next)
	if err == nil {
		http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
		return
	}
	var throttled *auth.ThrottledError
	if errors.As(err, &throttled) {
		secs := retryAfter(throttled)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.renderAccount(w, r, http.StatusTooManyRequests,
			&accountData{Errors: map[string]string{"current_password": "web.signin.throttled"}, Seconds: secs})
		return
	}
	if field, key, ok := passwordFieldError(err); ok {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, &accountData{Errors: map[string]string{field: key}})
		return
	}
	s.log.ErrorContext(r.Context(), "account: change password", "request_id", RequestID(r.Context()), "err", err)
	s.Error(w, r, http.StatusInternalServerError, "")
}

// changePassword changes the password of the request's session. API
// tokens cannot: they belong to integrations, not to a person at a screen.
func (s *Server) changePassword(ctx context.Context, current, next string) error {
	token := sessionToken(ctx)
	if !strings.HasPrefix(token, auth.SessionTokenPrefix) {
		return errNeedsSession
	}
	return s.cfg.Sessions.ChangePassword(ctx, token, current, next, clientMeta(ctx))
}

var errNeedsSession = errors.New("web: a password is changed from a session, not with an API token")

// passwordFieldError names the form field and message key of a refused
// password change.
func passwordFieldError(err error) (field, key string, ok bool) {
	var weak *auth.WeakPasswordError
	switch {
	case errors.Is(err, auth.ErrWrongPassword):
		return "current_password", "web.account.error.wrong", true
	case errors.As(err, &weak):
		return "new_password", "web.account.error." + weak.Code, true
	}
	return "", "", false
}

func (s *Server) accountEndSession(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.Error(w, r, http.StatusNotFound, "")
		return
	}
	ctx := r.Context()
	current, err := s.isCurrentSession(ctx, id)
	if err == nil {
		err = s.cfg.Sessions.EndSession(ctx, auth.FromContext(ctx).UserID, id, clientMeta(ctx))
	}
	switch {
	case err == nil && current:
		s.clearSessionCookie(w, r)
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, "/account?ended=1", http.StatusSeeOther)
	case errors.Is(err, auth.ErrNotFound):
		s.Error(w, r, http.StatusNotFound, "")
	default:
		s.log.ErrorContext(ctx, "account: end session", "request_id", RequestID(ctx), "err", err)
		s.Error(w, r, http.StatusInternalServerError, "")
	}
}

// isCurrentSession reports whether session id is the one the request
// came with.
func (s *Server) isCurrentSession(ctx context.Context, id int64) (bool, error) {
	ss, err := s.cfg.Sessions.ListSessions(ctx, auth.FromContext(ctx).UserID, sessionToken(ctx))
	if err != nil {
		return false, err
	}
	for _, x := range ss {
		if x.ID == id {
			return x.Current, nil
		}
	}
	return false, nil
}

// mayWhilePasswordChange reports whether a session whose password must be
// changed may make request r: the account page and API, sign-out and the
// caller's own user record.
func mayWhilePasswordChange(r *http.Request) bool {
	p := r.URL.Path
	return p == "/account" || strings.HasPrefix(p, "/account/") || p == "/signout" ||
		p == APIPrefix+"/me" || strings.HasPrefix(p, APIPrefix+"/account/") ||
		p == APIPrefix+"/sessions/current" || p == "/healthz" ||
		strings.HasPrefix(p, APIPrefix+"/openapi")
}

// accountFieldError is a refused field of an account API request.
type accountFieldError struct{ field, msg string }

func (e *accountFieldError) Error() string { return e.msg }
func (e *accountFieldError) Field() string { return e.field }

type sessionsOutput struct {
	Body struct {
		Sessions []auth.Session `json:"sessions"`
	}
}

type endSessionInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" minLength:"1" maxLength:"256"`
		NewPassword     string `json:"new_password" minLength:"1" maxLength:"256" doc:"At least 8 characters of three kinds (upper-case, lower-case, digits, symbols), not containing the username, not a common password"`
	}
}

func registerAccountAPI(s *Server) {
	huma.Register(s.api, huma.Operation{
		OperationID: "list-account-sessions",
		Method:      http.MethodGet,
		Path:        APIPrefix + "/account/sessions",
		Summary:     "List my sessions",
		Description: "Returns the caller's open sessions, newest first; current marks the one the request came with.",
		Tags:        []string{"account"},
		Security:    Secured(),
		Errors:      []int{http.StatusUnauthorized},
	}, func(ctx context.Context, _ *struct{}) (*sessionsOutput, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		ss, err := s.cfg.Sessions.ListSessions(ctx, a.UserID, sessionToken(ctx))
		if err != nil {
			return nil, s.Problem(ctx, err)
		}
		out := &sessionsOutput{}
		out.Body.Sessions = ss
		return out, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID:   "delete-account-session",
		Method:        http.MethodDelete,
		Path:          APIPrefix + "/account/sessions/{id}",
		Summary:       "End one of my sessions",
		Description:   "Ends a session of the caller (another device, or the current one). Others' sessions answer 404.",
		Tags:          []string{"account"},
		DefaultStatus: http.StatusNoContent,
		Security:      Secured(),
		Errors:        []int{http.StatusUnauthorized, http.StatusNotFound},
	}, func(ctx context.Context, in *endSessionInput) (*struct{}, error) {
		a, err := s.Actor(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.cfg.Sessions.EndSession(ctx, a.UserID, in.ID, clientMeta(ctx)); err != nil {
			return nil, s.Problem(ctx, err)
		}
		return nil, nil
	})

	huma.Register(s.api, huma.Operation{
		OperationID:   "change-account-password",
		Method:        http.MethodPost,
		Path:          APIPrefix + "/account/password",
		Summary:       "Change my password",
		Description:   "Changes the caller's password after checking the current one. The caller's other sessions end; the current one stays valid. Only a session may change a password (an API token answers 403). A wrong current password counts as a failed sign-in and is throttled alike (429 with Retry-After).",
		Tags:          []string{"account"},
		DefaultStatus: http.StatusNoContent,
		Security:      Secured(),
		Errors:        []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, func(ctx context.Context, in *changePasswordInput) (*struct{}, error) {
		if _, err := s.Actor(ctx); err != nil {
			return nil, err
		}
		err := s.changePassword(ctx, in.Body.CurrentPassword, in.Body.NewPassword)
		if err == nil {
			return nil, nil
		}
		lang := i18n.LangFrom(ctx)
		if errors.Is(err, errNeedsSession) {
			return nil, huma.Error403Forbidden(s.bundle.T(lang, "web.account.error.session"))
		}
		if field, key, ok := passwordFieldError(err); ok {
			return nil, s.Problem(ctx, &accountFieldError{field: field, msg: s.bundle.T(lang, key)})
		}
		return nil, s.Problem(ctx, err)
	})
}
