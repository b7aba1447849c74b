// Package org keeps the platform's people and their place: GB/T 2260
// regions, the departments within them, and users with their roles,
// departments, enterprise and (encrypted) personal numbers.
//
// Mutating methods take the transaction to write in (tx store.IDB) so that
// the caller appends the audit entry for the change in the same transaction;
// each method also works inside its own savepoint, so a refused change leaves
// nothing behind even when the caller carries on with the transaction. Pass
// the *store.DB itself when no audit entry is wanted (tests, seeding).
package org

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Errors the web layer maps to HTTP statuses: ErrNotFound → 404, ErrConflict
// → 409, ErrInvalid → 422 (errors.As a *ValidationError for the field).
var (
	ErrNotFound = errors.New("org: not found (未找到)")
	ErrConflict = errors.New("org: already exists (已存在)")
	ErrInvalid  = errors.New("org: invalid input (输入有误)")
)

// Validation error codes, stable for clients and tests.
const (
	CodeRequired   = "required"    // missing
	CodeFormat     = "format"      // malformed
	CodeTooLong    = "too_long"    // over the length limit
	CodeUnknown    = "unknown"     // refers to something that does not exist
	CodeTaken      = "taken"       // unique value already used; matches ErrConflict
	CodeNotAllowed = "not_allowed" // not permitted in this combination
	CodeWeak       = "weak"        // password breaks a rule of auth.CheckPassword
)

// ValidationError says what is wrong with one field of the input. A refused
// call may return several, joined with errors.Join; FieldErrors lists them.
// Every ValidationError matches ErrInvalid, and one with CodeTaken also
// matches ErrConflict.
type ValidationError struct {
	Field   string // input field name, e.g. "username"
	Code    string // one of the Code constants
	Message string // Chinese first, then English
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("org: %s: %s", e.Field, e.Message)
}

// Is lets errors.Is match the sentinel errors.
func (e *ValidationError) Is(target error) bool {
	return target == ErrInvalid || (target == ErrConflict && e.Code == CodeTaken)
}

// FieldErrors returns every *ValidationError in err, in order.
func FieldErrors(err error) []*ValidationError {
	var out []*ValidationError
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *ValidationError:
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

// problems collects validation errors for one call.
type problems []error

func (p *problems) add(field, code, message string) {
	*p = append(*p, &ValidationError{Field: field, Code: code, Message: message})
}

func (p problems) err() error { return errors.Join(p...) }

// Service manages regions, departments and users.
type Service struct {
	db  *store.DB
	box *pii.Box
	now func() time.Time
	// Password is the argon2id cost for new password hashes; zero means
	// auth.DefaultPasswordParams. Tests lower it.
	Password auth.PasswordParams
	// Registered reports whether the register of businesses holds uscc,
	// read in db (the caller's transaction); enterprise accounts are linked
	// only to registered businesses (link.go). The app sets it.
	Registered func(ctx context.Context, db store.IDB, uscc string) (bool, error)

	mu    sync.Mutex
	depts map[int64]cachedDepartment // see Department
}

// NewService returns a Service on db, sealing personal numbers with box.
func NewService(db *store.DB, box *pii.Box, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, box: box, now: now, depts: map[int64]cachedDepartment{}}
}

func (s *Service) stamp() time.Time { return store.Time(s.now()) }

// Page selects one page of a listing. Number counts from 1; Size defaults to
// 20 and is capped at 200.
type Page struct {
	Number int
	Size   int
}

func (p Page) limitOffset() (int64, int64) {
	size := p.Size
	if size <= 0 {
		size = 20
	}
	size = min(size, 200)
	n := max(p.Number, 1)
	return int64(size), int64((n - 1) * size)
}

// likePattern turns user text into a LIKE pattern matching it anywhere,
// escaping the wildcards with '!'.
func likePattern(q string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(strings.TrimSpace(q)) + "%"
}

// regionPrefixPattern returns a LIKE pattern matching every region code
// within code (ids.RegionContains as SQL).
func regionPrefixPattern(code string) string {
	switch {
	case strings.HasSuffix(code, "0000"):
		return code[:2] + "%"
	case strings.HasSuffix(code, "00"):
		return code[:4] + "%"
	}
	return code
}

func invalid(field, code, message string) *ValidationError {
	return &ValidationError{Field: field, Code: code, Message: message}
}
