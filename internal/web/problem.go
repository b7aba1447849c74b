package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
)

// Domain errors reach HTTP through Problem. Besides the auth sentinels,
// store unique violations, sql.ErrNoRows and auth.ErrNotFound, it
// recognises errors (anywhere in the wrap chain) by behaviour, so domain
// packages need not import web:
//
//	NotFound() bool   → 404
//	Conflict() bool   → 409
//	Field() string    → 422, one entry per such error, located at body.<field>
//
// Several field errors may be returned at once with errors.Join.

type notFounder interface{ NotFound() bool }
type conflicter interface{ Conflict() bool }
type fieldError interface {
	error
	Field() string
}

// StatusOf returns the HTTP status for a domain error, or 500 for an error
// it does not know.
func StatusOf(err error) int {
	var nf notFounder
	var cf conflicter
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, auth.ErrUnauthenticated), errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrLocked):
		// A locked username answers as a wrong password would: the
		// answer must not tell whether the account exists.
		return http.StatusUnauthorized
	case errors.Is(err, auth.ErrThrottled):
		return http.StatusTooManyRequests
	case errors.Is(err, auth.ErrForbidden), errors.Is(err, auth.ErrDisabled):
		return http.StatusForbidden
	case errors.Is(err, sql.ErrNoRows), errors.Is(err, auth.ErrNotFound), errors.As(err, &nf) && nf.NotFound():
		return http.StatusNotFound
	case store.IsUniqueViolation(err), errors.As(err, &cf) && cf.Conflict():
		return http.StatusConflict
	case len(fieldErrors(err)) > 0:
		return http.StatusUnprocessableEntity
	case IsTooLarge(err):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// fieldErrors collects the errors with a Field in err's tree.
func fieldErrors(err error) []fieldError {
	var out []fieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(fieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// Problem converts an error from a domain service into the huma error an
// API operation returns: an RFC 9457 problem with a status, a title and a
// detail in the request's language. Errors it does not know become a 500
// that hides their text (it may hold internals) and are logged with the
// request id.
//
//	out, err := svc.Get(ctx, in.ID)
//	if err != nil {
//		return nil, s.Problem(ctx, err)
//	}
func (s *Server) Problem(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	status := StatusOf(err)
	lang := i18n.LangFrom(ctx)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(ctx, "api error", "request_id", RequestID(ctx), "err", err)
		return huma.NewError(status, s.bundle.T(lang, "web.problem.500", i18n.Args{"id": RequestID(ctx)}))
	}
	detail := s.bundle.T(lang, "web.problem."+strconv.Itoa(status))
	var throttled *auth.ThrottledError
	switch {
	case errors.Is(err, auth.ErrLocked), errors.Is(err, auth.ErrBadCredentials):
		detail = s.bundle.T(lang, "web.signin.failed")
	case errors.As(err, &throttled):
		secs := retryAfter(throttled)
		return huma.ErrorWithHeaders(
			huma.NewError(status, s.bundle.T(lang, "web.signin.throttled", i18n.Args{"seconds": secs})),
			http.Header{"Retry-After": {strconv.Itoa(secs)}})
	}
	var details []error
	for _, fe := range fieldErrors(err) {
		details = append(details, &huma.ErrorDetail{Location: "body." + fe.Field(), Message: fe.Error()})
	}
	return huma.NewError(status, detail, details...)
}

// retryAfter is the whole seconds of a throttled attempt's wait, at least 1.
func retryAfter(e *auth.ThrottledError) int {
	secs := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// Error writes an error response for status: a problem+json body for API
// requests, an HTML page otherwise. key names the message to show; empty
// means the generic message for the status. Every error names the request
// id, so a user can quote it.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, status int, key string) {
	lang := i18n.LangFrom(r.Context())
	if key == "" {
		key = "web.problem." + strconv.Itoa(status)
	}
	msg := s.bundle.T(lang, key, i18n.Args{"id": RequestID(r.Context())})
	if isAPI(r) {
		writeProblem(w, r, status, msg)
		return
	}
	s.RenderStatus(w, r, status, "web/error.html", errorPage{
		Status: status, Title: http.StatusText(status), Message: msg,
	})
}

type errorPage struct {
	Status         int
	Title, Message string
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(&huma.ErrorModel{
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   detail,
		Instance: "urn:ys:request:" + RequestID(r.Context()),
	})
}
