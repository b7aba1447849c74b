package knowledge

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every *FieldError matches ErrInvalid. The web layer maps
// them by behaviour: NotFound → 404, Conflict → 409, Field → 422.
var (
	ErrInvalid = errors.New("knowledge: invalid article (知识信息不正确)")
	// ErrNotFound: no such article, or one the caller may not see, or (for
	// the public) one that is not published and valid.
	ErrNotFound = notFound{}
	// ErrConflict: the working copy changed since the caller read it.
	ErrConflict = conflict{}
	// ErrState: the action does not fit the article's status, such as
	// publishing an article with no unpublished changes.
	ErrState = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "knowledge: article not found (知识不存在)" }
func (notFound) NotFound() bool { return true }

type conflict struct{}

func (conflict) Error() string {
	return "knowledge: article changed since it was read (知识已被他人修改，请刷新后重试)"
}
func (conflict) Conflict() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "knowledge: not allowed in the article's status (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// FieldError says what is wrong with one field of a Draft. Field is the
// JSON name of the field, such as "title" or "questions[2]".
type FieldError struct {
	Path    string
	Message string // Chinese first, then English
}

func (e *FieldError) Error() string { return fmt.Sprintf("knowledge: %s: %s", e.Path, e.Message) }

// Field returns the path of the field, for web.Problem.
func (e *FieldError) Field() string { return e.Path }

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// FieldErrors returns every *FieldError in err, in order.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *FieldError:
			out = append(out, e)
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return out
}

// problems collects the field errors of one check.
type problems []error

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p problems) err() error { return errors.Join(p...) }
