package catalog

import (
	"github.com/yingshang/yingshang/internal/valid"
)

// Sentinel errors. Every *FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
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

// FieldError says what is wrong with one field (see package valid).
type FieldError = valid.FieldError

// FieldErrors returns every *FieldError in err, in order.
func FieldErrors(err error) []*FieldError { return valid.Fields(err) }

// problems collects the field errors of one check.
type problems = valid.Problems
