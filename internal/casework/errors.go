package casework

import (
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
)

// Sentinel errors. Every *FieldError matches ErrInvalid; the web layer maps
// them to 422 with one detail per field, the others to the status their
// NotFound or Conflict method names.
var (
	ErrInvalid  = errors.New("casework: invalid application (申请信息不正确)")
	ErrNotFound = notFound{}
	// ErrState: the action does not fit where the application stands.
	ErrState = conflict{"casework: not possible at this step (当前环节不能进行此操作)"}
	// ErrShortfall: a promised (容缺) material is still missing, so the
	// application cannot be approved yet.
	ErrShortfall = conflict{"casework: a promised material has not been supplied (容缺材料尚未补齐)"}
	// ErrCommitmentRefused: the applicant is on the serious-violations list
	// or has made a false commitment, and may not use 告知承诺制.
	ErrCommitmentRefused = &FieldError{Path: "commitment",
		Message: "申请人被列入严重违法失信名单或有虚假承诺记录，不适用告知承诺制，请提交全部证明材料 (the applicant may not use the commitment path; submit every proof)"}
	// ErrForbidden: the actor may not do this to an application they can see.
	ErrForbidden = fmt.Errorf("casework: not allowed (无权操作): %w", auth.ErrForbidden)
)

type notFound struct{}

func (notFound) Error() string  { return "casework: application not found (办件不存在)" }
func (notFound) NotFound() bool { return true }

type conflict struct{ msg string }

func (c conflict) Error() string  { return c.msg }
func (c conflict) Conflict() bool { return true }

// FieldError says what is wrong with one input. Path is "form.<key>",
// "materials[<i>]", "applicant.id_number", "commitment" and so on.
type FieldError struct {
	Path    string
	Message string // Chinese first, then English
}

func (e *FieldError) Error() string { return "casework: " + e.Path + ": " + e.Message }

// Field returns the path, for web.Problem.
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

// problems collects field errors.
type problems []error

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, &FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p problems) err() error { return errors.Join(p...) }
