package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
)

// signinForm is the data of the sign-in page.
type signinForm struct {
	Next     string
	Username string
	// Error is the message key of a failed attempt.
	Error string
	// Seconds is how long a throttled client must wait.
	Seconds int
}

func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if a := auth.FromContext(r.Context()); a != nil {
		http.Redirect(w, r, s.orHome(next, a), http.StatusSeeOther)
		return
	}
	s.Render(w, r, "web/signin.html", signinForm{Next: next})
}

func (s *Server) signinSubmit(w http.ResponseWriter, r *http.Request) {
	if !s.ParseForm(w, r) {
		return
	}
	form := signinForm{
		Next:     safeNext(r.PostForm.Get("next")),
		Username: strings.TrimSpace(r.PostForm.Get("username")),
	}
	password := r.PostForm.Get("password")
	if form.Username == "" || password == "" {
		form.Error = "web.signin.required"
		s.RenderStatus(w, r, http.StatusUnprocessableEntity, "web/signin.html", form)
		return
	}
	if s.cfg.Sessions == nil {
		s.Error(w, r, http.StatusServiceUnavailable, "")
		return
	}
	token, a, err := s.cfg.Sessions.SignIn(r.Context(), form.Username, password, clientMeta(r.Context()))
	var throttled *auth.ThrottledError
	switch {
	case err == nil:
		s.setSessionCookie(w, r, token)
		infoFrom(r.Context()).userID = a.UserID
		if a.MustChangePassword {
			http.Redirect(w, r, "/account?must=1", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, s.orHome(form.Next, a), http.StatusSeeOther)
		return
	case errors.As(err, &throttled):
		secs := retryAfter(throttled)
		form.Error, form.Seconds = "web.signin.throttled", secs
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.RenderStatus(w, r, http.StatusTooManyRequests, "web/signin.html", form)
		return
	case errors.Is(err, auth.ErrLocked), errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrDisabled):
		// One status and message for an unknown user, a wrong password, a
		// username locked for this address and a disabled account: the
		// page must not reveal who has an account.
		form.Error = "web.signin.failed"
	default:
		s.log.ErrorContext(r.Context(), "sign in", "request_id", RequestID(r.Context()), "err", err)
		s.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	s.RenderStatus(w, r, http.StatusUnprocessableEntity, "web/signin.html", form)
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	token := sessionToken(r.Context())
	if token != "" && s.cfg.Sessions != nil {
		if err := s.cfg.Sessions.SignOut(r.Context(), token, clientMeta(r.Context())); err != nil {
			s.log.ErrorContext(r.Context(), "sign out", "request_id", RequestID(r.Context()), "err", err)
		}
	}
	s.clearSessionCookie(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination only if it is a path on this
// site, so the sign-in page cannot be used to redirect users elsewhere.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n\t") || strings.HasPrefix(next, "/signin") {
		return ""
	}
	return next
}

func (s *Server) orHome(next string, a *auth.Actor) string {
	if next != "" {
		return next
	}
	return s.HomeFor(a)
}
