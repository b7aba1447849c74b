package credit

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/yingshang/yingshang/internal/calendar"
)

// ScanRecords calls fn for the records of the businesses with codes from
// lo to hi (inclusive; equal for one business) decided from since to asOf
// and not withdrawn by asOf, grouped by business. The slices fn gets are
// valid only during the call: the scan of a city's ten million records
// copies nothing it does not need (credit risk classification reads it in
// chunks of the register).
func (m *Module) ScanRecords(ctx context.Context, lo, hi string, since, asOf calendar.Date,
	fn func(uscc, kind, decided []byte) error) error {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT uscc, kind, decision_date FROM credit_records
		WHERE uscc >= ? AND uscc <= ? AND decision_date >= ? AND decision_date <= ?
		AND (withdrawn_on IS NULL OR withdrawn_on > ?) ORDER BY uscc`, lo, hi, since.String(), asOf.String(), asOf.String())
	if err != nil {
		return fmt.Errorf("credit: scan records: %w", err)
	}
	defer rows.Close()
	var u, k, d sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&u, &k, &d); err != nil {
			return fmt.Errorf("credit: scan records: %w", err)
		}
		if err := fn(u, k, d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ScanListings calls fn for each listing in force on asOf of the
// businesses with codes from lo to hi (inclusive; "" and "" for every
// business), with list ListAbnormal or ListSerious. A serious listing is
// in force until removed or until its term ends (Rules.SeriousTerm).
func (m *Module) ScanListings(ctx context.Context, lo, hi string, asOf calendar.Date, fn func(uscc, list string) error) error {
	where, args := "listed_on <= ? AND (removed_on IS NULL OR removed_on > ?)", []any{asOf.String(), asOf.String()}
	if lo != "" || hi != "" {
		where, args = where+" AND uscc >= ? AND uscc <= ?", append(args, lo, hi)
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT uscc FROM credit_abnormal WHERE "+where, args...)
	if err != nil {
		return fmt.Errorf("credit: scan listings: %w", err)
	}
	var u, listed string
	for rows.Next() {
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return fmt.Errorf("credit: scan listings: %w", err)
		}
		if err := fn(u, ListAbnormal); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("credit: scan listings: %w", err)
	}
	if rows, err = m.d.DB.QueryContext(ctx, "SELECT uscc, listed_on FROM credit_serious WHERE "+where, args...); err != nil {
		return fmt.Errorf("credit: scan listings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&u, &listed); err != nil {
			return fmt.Errorf("credit: scan listings: %w", err)
		}
		if asOf.After(calendar.PeriodEnd(mustDate(listed), m.d.Rules.SeriousTerm)) {
			continue
		}
		if err := fn(u, ListSerious); err != nil {
			return err
		}
	}
	return rows.Err()
}
