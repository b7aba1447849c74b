package web

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
)

// SessionCookie is the cookie carrying a browser's session token.
const SessionCookie = "ys_session"

// reqInfo is shared, by pointer, between the outer middleware and the inner
// layers that learn things about the request: the matched route, the user,
// the session token. Inner layers cannot hand values back through the
// request, because each r.WithContext makes a new one.
type reqInfo struct {
	id     string
	route  string
	userID int64
	token  string
	// ip and userAgent describe the client for logs, audit and
	// throttling. ip is ClientIP's answer for the server's trusted proxies.
	ip, userAgent string
	// body is the request body before the default size limit was applied,
	// so that MaxBytes can set a different one.
	body io.ReadCloser
}

type infoKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// RequestID returns the id of the request ctx belongs to, as echoed in the
// X-Request-Id response header and the access log.
func RequestID(ctx context.Context) string { return infoFrom(ctx).id }

// sessionToken returns the token the request was authenticated with.
func sessionToken(ctx context.Context) string { return infoFrom(ctx).token }

// middleware wraps the mux; the first layer listed runs last.
func (s *Server) middleware(mux *http.ServeMux) http.Handler {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := infoFrom(r.Context())
		// ServeMux sets r.Pattern on the request it is given before calling
		// the route's handler; read it even if that handler panics.
		defer func() { ri.route = r.Pattern }()
		mux.ServeHTTP(w, r)
	})
	h = s.checkText(h)
	h = s.authenticate(h)
	h = s.crossOrigin(h)
	h = s.limitBody(h)
	h = s.language(h)
	h = s.securityHeaders(h)
	h = s.recoverPanic(h)
	h = s.observe(h)
	return h
}

var safeRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// observe gives the request an id, then logs it and counts it in the
// metrics once it is served.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		id := r.Header.Get("X-Request-Id")
		if !safeRequestID.MatchString(id) {
			id = rand.Text()
		}
		ri := &reqInfo{id: id, ip: ClientIP(r, s.cfg.TrustedProxies), userAgent: r.UserAgent()}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w}
		s.inflight.Add(1)
		defer func() {
			s.inflight.Add(-1)
			elapsed := s.now().Sub(start)
			route := routeLabel(ri.route)
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			s.requests.Inc(route, r.Method, strconv.Itoa(status))
			s.duration.Observe(elapsed.Seconds(), route)
			level := requestLevel(r.Method, status)
			// The route pattern, never the raw path: paths carry bearer
			// tokens (/hotline/visit/{token}, /verify/{token}) that would
			// let anyone reading the log act as their holder.
			s.log.LogAttrs(r.Context(), level, "http request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", elapsed),
				slog.String("request_id", id),
				slog.String("client", ri.ip),
				slog.Int64("user_id", ri.userID),
			)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
	})
}

// requestLevel is the level a request is logged at: successful reads
// (GET and HEAD answered 2xx or 3xx), the bulk of the traffic, at debug, so
// that a busy node's log at info holds the writes and the failures and does
// not grow with every page view; server errors at error.
func requestLevel(method string, status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case (method == http.MethodGet || method == http.MethodHead) && status < 400:
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// routeLabel turns a ServeMux pattern into a metrics label: the path part
// only, since the method is a label of its own. Requests that matched no
// route share one label, so scanners cannot blow up the series count.
func routeLabel(pattern string) string {
	if _, p, ok := strings.Cut(pattern, " "); ok {
		pattern = p
	}
	if pattern == "" {
		return "unmatched"
	}
	return pattern
}

// recoverPanic turns a panicking handler into a 500 response carrying the
// request id, so a user can quote it and an operator can find the stack.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic serving request",
				"request_id", RequestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				return // too late to change the response
			}
			s.Error(w, r, http.StatusInternalServerError, "")
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only the platform's own scripts, styles and
// images; no inline script, no framing, forms post only to us.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
		if s.secure(r) {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// secure reports whether the client reached us over TLS.
func (s *Server) secure(r *http.Request) bool { return r.TLS != nil || s.cfg.SecureCookies }

// language picks the request's language and remembers a ?lang= choice.
func (s *Server) language(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lang, fromQuery := i18n.Pick(r)
		if fromQuery {
			http.SetCookie(w, &http.Cookie{
				Name: i18n.CookieName, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
			})
		}
		next.ServeHTTP(w, r.WithContext(i18n.WithLang(r.Context(), lang)))
	})
}

// limitBody caps every request body at cfg.MaxBodyBytes; MaxBytes lifts
// the cap for a route that takes uploads.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := infoFrom(r.Context())
		ri.body = r.Body
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// MaxBytes lets the wrapped handler read bodies of up to n bytes instead of
// the server's default, for uploads. It must wrap the handler before
// anything reads the body.
func MaxBytes(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			setBodyLimit(w, r, n)
			next.ServeHTTP(w, r)
		})
	}
}

func setBodyLimit(w http.ResponseWriter, r *http.Request, n int64) {
	if ri := infoFrom(r.Context()); ri.body != nil {
		r.Body = http.MaxBytesReader(w, ri.body, n)
	}
}

// Upload lets an API operation accept bodies of up to n bytes: huma's own
// limit and the server's are both raised.
func Upload(op *huma.Operation, n int64) {
	op.MaxBodyBytes = n
	op.Middlewares = append(op.Middlewares, func(ctx huma.Context, next func(huma.Context)) {
		r, w := humago.Unwrap(ctx)
		setBodyLimit(w, r, n)
		next(ctx)
	})
}

// IsTooLarge reports whether err comes from reading a body over its limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// ParseForm parses r's form. On failure it writes the error response (413
// for a body over the limit, 400 otherwise) and returns false.
func (s *Server) ParseForm(w http.ResponseWriter, r *http.Request) bool {
	err := r.ParseForm()
	if err == nil {
		return true
	}
	if IsTooLarge(err) {
		s.Error(w, r, http.StatusRequestEntityTooLarge, "")
	} else {
		s.Error(w, r, http.StatusBadRequest, "")
	}
	return false
}

// crossOrigin refuses unsafe requests made by another site's pages, the
// browser-side half of CSRF protection (session cookies are also
// SameSite=Lax). Requests carrying a bearer token are exempt: a browser
// never attaches one on its own, so they cannot be forged.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasBearer(r) {
			if err := s.cop.Check(r); err != nil {
				s.log.WarnContext(r.Context(), "cross-origin request refused",
					"request_id", RequestID(r.Context()), "origin", r.Header.Get("Origin"), "err", err)
				s.Error(w, r, http.StatusForbidden, "web.error.cross_origin")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func hasBearer(r *http.Request) bool {
	_, ok := bearer(r)
	return ok
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// authenticate puts the actor of the request's bearer token or session
// cookie on its context. An unknown or expired token leaves the request
// anonymous (and clears a stale cookie); handlers decide whether that is
// allowed.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			// Assets are public; skip the session lookup they would
			// otherwise cost.
			next.ServeHTTP(w, r)
			return
		}
		token, isBearer := bearer(r)
		if !isBearer {
			if c, err := r.Cookie(SessionCookie); err == nil {
				token = c.Value
			}
		}
		if token == "" || s.cfg.Sessions == nil {
			next.ServeHTTP(w, r)
			return
		}
		a, err := s.cfg.Sessions.Authenticate(r.Context(), token)
		switch {
		case err == nil && a != nil:
			ri := infoFrom(r.Context())
			ri.userID = a.UserID
			ri.token = token
			r = r.WithContext(auth.WithActor(r.Context(), a))
			if a.MustChangePassword && strings.HasPrefix(token, auth.SessionTokenPrefix) && !mayWhilePasswordChange(r) {
				// A password an administrator chose is changed before
				// the session does anything else.
				if isAPI(r) {
					s.Error(w, r, http.StatusForbidden, "web.account.error.must_change_api")
					return
				}
				http.Redirect(w, r, "/account?must=1", http.StatusSeeOther)
				return
			}
		case err == nil || errors.Is(err, auth.ErrUnauthenticated):
			if !isBearer {
				s.clearSessionCookie(w, r)
			}
		default:
			s.log.ErrorContext(r.Context(), "authenticate", "request_id", RequestID(r.Context()), "err", err)
			s.Error(w, r, http.StatusServiceUnavailable, "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: token, Path: "/",
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
	})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushing for server-sent events).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush supports streaming responses.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack is passed through for protocol upgrades.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// RequireActor lets only signed-in users through. Anonymous page requests
// are sent to /signin?next=…; anonymous API requests get a 401 problem.
func (s *Server) RequireActor(next http.Handler) http.Handler { return s.Require()(next) }

// Require lets through signed-in users holding any of roles (any
// signed-in user when roles is empty); others get 403. Scope checks
// (region, department, own records) remain the handler's job.
func (s *Server) Require(roles ...auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := auth.FromContext(r.Context())
			if a == nil {
				if isAPI(r) {
					w.Header().Set("WWW-Authenticate", `Bearer realm="yingshang"`)
					s.Error(w, r, http.StatusUnauthorized, "")
					return
				}
				http.Redirect(w, r, signinURL(r), http.StatusSeeOther)
				return
			}
			if len(roles) > 0 && !a.HasAny(roles...) {
				s.Error(w, r, http.StatusForbidden, "")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// signinURL is the sign-in page that returns to r afterwards. Only GET
// requests are worth returning to.
func signinURL(r *http.Request) string {
	if r.Method != http.MethodGet || r.URL.Path == "/" {
		return "/signin"
	}
	return "/signin?next=" + url.QueryEscape(r.URL.RequestURI())
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }
