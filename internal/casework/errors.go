package casework

import (
	"fmt"
	"github.com/yingshang/yingshang/internal/valid"

	"github.com/yingshang/yingshang/internal/auth"
)

// Sentinel errors. Every *FieldError matches ErrInvalid; the web layer maps
// them to 422 with one detail per field, the others to the status their
// NotFound or Conflict method names.
var (
	ErrInvalid  = valid.ErrInvalid
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

// FieldError says what is wrong with one field (see package valid).
type FieldError = valid.FieldError

// FieldErrors returns every *FieldError in err, in order.
func FieldErrors(err error) []*FieldError { return valid.Fields(err) }

// problems collects the field errors of one check.
type problems = valid.Problems
