// Package valid reports what is wrong with the fields of a request: one
// FieldError per field, joined into one error that matches ErrInvalid. The
// web layer turns each into a 422 problem detail located at its field, and
// forms show each message beside its field, so a person can correct
// everything at once.
package valid

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched by every FieldError.
var ErrInvalid = errors.New("invalid input (输入不正确)")

// FieldError says what is wrong with one field. Path names the field as the
// request's JSON does, such as "promised_limit_days" or "materials[2].class".
type FieldError struct {
	Path    string
	Message string // Chinese first, then English
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Message }

// Field returns the path of the field, for web.Problem.
func (e *FieldError) Field() string { return e.Path }

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Fields returns every *FieldError in err, in order, looking through
// wrapped and joined errors.
func Fields(err error) []*FieldError {
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

// Problems collects the field errors of one check.
type Problems []error

// Add records that the field at path is wrong.
func (p *Problems) Add(path, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Err returns the problems joined, or nil when there are none.
func (p Problems) Err() error { return errors.Join(p...) }
