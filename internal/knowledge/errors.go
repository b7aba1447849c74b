package knowledge

import (
	"github.com/yingshang/yingshang/internal/valid"
)

// Sentinel errors. Every *FieldError matches ErrInvalid. The web layer maps
// them by behaviour: NotFound → 404, Conflict → 409, Field → 422.
var (
	ErrInvalid = valid.ErrInvalid
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

// FieldError says what is wrong with one field (see package valid).
type FieldError = valid.FieldError

// FieldErrors returns every *FieldError in err, in order.
func FieldErrors(err error) []*FieldError { return valid.Fields(err) }

// problems collects the field errors of one check.
type problems = valid.Problems
