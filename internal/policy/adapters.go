package policy

import (
	"context"

	"github.com/yingshang/yingshang/internal/entity"
)

// EntityRegister adapts the register (*entity.Service) to Register.
type EntityRegister struct{ *entity.Service }

// ScanFactsFull reads the facts of a range of businesses with their
// source department and as-of date.
func (r EntityRegister) ScanFactsFull(ctx context.Context, lo, hi, asOf string, fn func(f FactRow) error) error {
	return r.ScanFactRows(ctx, lo, hi, asOf, func(u, n, t, v, a string, d int64) error {
		return fn(FactRow{USCC: u, Name: n, Type: t, Value: v, AsOf: a, DepartmentID: d})
	})
}
