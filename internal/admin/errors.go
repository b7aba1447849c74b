package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/web"
)

// FieldError is input the console itself refuses (a malformed page number,
// a date that is not a date). It carries the field it concerns, so the web
// layer answers 422 and pages show the message beside the field.
type FieldError struct {
	Name    string // form or JSON field
	Message string // Chinese first, then English
}

func (e *FieldError) Error() string { return "admin: " + e.Name + ": " + e.Message }

// Field returns the field the error concerns.
func (e *FieldError) Field() string { return e.Name }

type notFound struct{ error }

func (notFound) NotFound() bool  { return true }
func (e notFound) Unwrap() error { return e.error }

type conflict struct{ error }

func (conflict) Conflict() bool  { return true }
func (e conflict) Unwrap() error { return e.error }

// statusOf maps errors of the packages the console uses to HTTP statuses.
// Validation comes first: an org validation error for a taken username
// also matches org.ErrConflict, and belongs beside its field with 422.
func statusOf(err error) int {
	switch {
	case errors.Is(err, auth.ErrForbidden), errors.Is(err, flow.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, auth.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, org.ErrInvalid), errors.Is(err, calendar.ErrInvalid),
		errors.Is(err, flow.ErrInvalidDefinition), errors.Is(err, audit.ErrInvalidFilter):
		return http.StatusUnprocessableEntity
	case errors.Is(err, org.ErrNotFound), errors.Is(err, calendar.ErrNotFound), errors.Is(err, flow.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, org.ErrConflict), errors.Is(err, flow.ErrConflict):
		return http.StatusConflict
	}
	return web.StatusOf(err)
}

// formErrors returns the messages of the validation errors in err by field
// ("" for those that name none), or nil when err holds none.
func formErrors(err error) map[string]string {
	out := map[string]string{}
	add := func(field, msg string) {
		if prev := out[field]; prev != "" {
			msg = prev + "；" + msg
		}
		out[field] = msg
	}
	for _, fe := range org.FieldErrors(err) {
		add(fe.Field, fe.Message)
	}
	var ce *calendar.ValidationError
	if errors.As(err, &ce) {
		add("days", calendarMessage(ce))
	}
	var de *flow.DefinitionError
	if errors.As(err, &de) {
		add("body", strings.Join(de.Problems, "\n"))
	}
	walkFieldErrors(err, func(fe *FieldError) { add(fe.Name, fe.Message) })
	if errors.Is(err, audit.ErrInvalidFilter) && len(out) == 0 {
		add("", err.Error())
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func walkFieldErrors(err error, fn func(*FieldError)) {
	switch e := err.(type) {
	case nil:
	case *FieldError:
		fn(e)
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			walkFieldErrors(x, fn)
		}
	case interface{ Unwrap() error }:
		walkFieldErrors(e.Unwrap(), fn)
	}
}

// calendarMessage names the refused date first, so the administrator finds
// the line to fix.
func calendarMessage(e *calendar.ValidationError) string {
	if e.Date == "" {
		return e.Reason
	}
	return e.Date + "：" + e.Reason
}

// problem turns an error into the API's problem response. Domain errors
// the web layer does not know by behaviour are translated first: every
// validation error becomes a field error (422 with its location), missing
// things 404, conflicts 409.
func (m *Module) problem(ctx context.Context, err error) error {
	return m.s.Problem(ctx, apiError(err))
}

func apiError(err error) error {
	if statusOf(err) == http.StatusUnprocessableEntity {
		var fields []error
		for f, msg := range formErrors(err) {
			if f == "" {
				f = "query"
			}
			fields = append(fields, &FieldError{Name: f, Message: msg})
		}
		if len(fields) > 0 {
			return errors.Join(fields...)
		}
		return &FieldError{Name: "body", Message: err.Error()}
	}
	switch statusOf(err) {
	case http.StatusNotFound:
		return notFound{err}
	case http.StatusConflict:
		return conflict{err}
	}
	return err
}
