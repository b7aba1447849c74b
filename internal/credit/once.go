package credit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
)

// RecordOnce writes the record in unless a's department already recorded
// one of its kind under its decision number, and returns the record and
// whether it was written now. The platform's own modules write through it
// from outbox events, which may be delivered more than once; in must carry
// a decision number.
func (m *Module) RecordOnce(ctx context.Context, a *auth.Actor, in RecordInput) (*Record, bool, error) {
	if in.DecisionNo == "" {
		return nil, false, fmt.Errorf("credit: record once: %w: a decision number is required", ErrInvalid)
	}
	find := func() (*Record, error) {
		dept, err := m.writer(ctx, m.d.DB, a, string(in.Kind))
		if err != nil {
			return nil, err
		}
		var id int64
		err = m.d.DB.QueryRowContext(ctx, `SELECT id FROM credit_records WHERE department_id = ? AND kind = ? AND decision_no = ?`,
			dept.ID, in.Kind, in.DecisionNo).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("credit: record once: %w", err)
		}
		return m.GetRecord(ctx, auth.System(), id, m.today())
	}
	in.USCC = ids.NormalizeUSCC(in.USCC)
	if rec, err := find(); err != nil || rec != nil {
		return rec, false, err
	}
	rec, err := m.AddRecord(ctx, a, in)
	if err == nil {
		return rec, true, nil
	}
	// Written meanwhile by another delivery: the unique decision number.
	if again, ferr := find(); ferr == nil && again != nil {
		return again, false, nil
	}
	return nil, false, err
}

// Keepers returns the departments granted kind (a record kind, or the
// lists ListAbnormal and ListSerious): the departments that keep it.
func (m *Module) Keepers(ctx context.Context, kind string) ([]int64, error) {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT department_id FROM credit_grants WHERE kind = ? ORDER BY department_id`, kind)
	if err != nil {
		return nil, fmt.Errorf("credit: keepers of %s: %w", kind, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
