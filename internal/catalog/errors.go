package catalog

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every *FieldError matches ErrInvalid.
var (
	ErrInvalid  = errors.New("catalog: invalid item (事项信息不正确)")
	ErrNotFound = notFound{}
	// ErrConflict: the item changed since the caller read it, or its code is
	// already taken in the region.
	ErrConflict = conflict{}
	// ErrState: the action does not fit the item's status, such as
	// withdrawing an item that is not published.
	ErrState = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "catalog: item not found (事项不存在)" }
func (notFound) NotFound() bool { return true }

type conflict struct{}

func (conflict) Error() string {
	return "catalog: item changed or code taken (事项已被修改或编码已存在)"
}
func (conflict) Conflict() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "catalog: not allowed in the item's status (当前状态不允许此操作)"
}
func (stateError) Conflict() bool { return true }

// FieldError says what is wrong with one field of an item. Field is a path
// into the JSON form of Draft, such as "promised_limit_days" or
// "materials[2].class"; the web layer reports it as a 422 detail.
type FieldError struct {
	Path    string
	Message string // Chinese first, then English
}

func (e *FieldError) Error() string { return fmt.Sprintf("catalog: %s: %s", e.Path, e.Message) }

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
