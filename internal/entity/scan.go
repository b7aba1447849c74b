package entity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/ids"
)

// Basic is what supervision's scoring reads of a business: its
// registration attributes, and the blind index of its legal
// representative's identity number (never the number) so that businesses
// sharing one can be found.
type Basic struct {
	USCC          string
	Type          string
	RegionCode    string
	Industry      string
	CapitalYuan   int64
	EstablishedOn string
	Status        string
	LegalRepIndex string
}

const basicCols = `uscc, type, region_code, industry, capital_yuan, established_on, status, legal_rep_id_index`

// ScanBasics calls fn for at most limit businesses with codes after
// after ("" for the first), in code order, and returns how many it read.
// Whole-register work (credit risk classification) walks the register in
// such chunks, so that no read stays open while it writes.
func (s *Service) ScanBasics(ctx context.Context, after string, limit int, fn func(b *Basic) error) (int, error) {
	rows, err := s.d.DB.QueryContext(ctx, "SELECT "+basicCols+" FROM entities WHERE uscc > ? ORDER BY uscc LIMIT ?", after, limit)
	if err != nil {
		return 0, fmt.Errorf("entity: scan: %w", err)
	}
	defer rows.Close()
	n := 0
	var b Basic
	for rows.Next() {
		if err := rows.Scan(&b.USCC, &b.Type, &b.RegionCode, &b.Industry, &b.CapitalYuan, &b.EstablishedOn, &b.Status,
			&b.LegalRepIndex); err != nil {
			return n, fmt.Errorf("entity: scan: %w", err)
		}
		n++
		if err := fn(&b); err != nil {
			return n, err
		}
	}
	return n, rows.Err()
}

// BasicOf returns the attributes of business uscc; nil when it is not in
// the register.
func (s *Service) BasicOf(ctx context.Context, uscc string) (*Basic, error) {
	var b Basic
	err := s.d.DB.QueryRowContext(ctx, "SELECT "+basicCols+" FROM entities WHERE uscc = ?", ids.NormalizeUSCC(uscc)).Scan(
		&b.USCC, &b.Type, &b.RegionCode, &b.Industry, &b.CapitalYuan, &b.EstablishedOn, &b.Status, &b.LegalRepIndex)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, fmt.Errorf("entity: basic %s: %w", uscc, err)
	}
	return &b, nil
}

// ScanFacts calls fn with the facts named names of the businesses with
// codes from lo to hi (inclusive; equal for one business) recorded as of
// asOf (YYYY-MM-DD) or earlier, ordered by business, name and date, so
// that the last one of a name is the one in force.
func (s *Service) ScanFacts(ctx context.Context, lo, hi string, names []string, asOf string,
	fn func(uscc, name, typ, value string) error) error {
	if len(names) == 0 {
		return nil
	}
	q := `SELECT uscc, name, type, value FROM entity_facts WHERE uscc >= ? AND uscc <= ? AND as_of <= ? AND name IN (?` +
		strings.Repeat(", ?", len(names)-1) + `) ORDER BY uscc, name, as_of, id`
	args := []any{lo, hi, asOf}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := s.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("entity: facts: %w", err)
	}
	defer rows.Close()
	var u, n, t, v string
	for rows.Next() {
		if err := rows.Scan(&u, &n, &t, &v); err != nil {
			return fmt.Errorf("entity: facts: %w", err)
		}
		if err := fn(u, n, t, v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// LegalRepIndexes returns the blind index of the legal representative's
// identity number of each of usccs that has one.
func (s *Service) LegalRepIndexes(ctx context.Context, usccs []string) (map[string]string, error) {
	out := map[string]string{}
	for len(usccs) > 0 {
		part := usccs[:min(len(usccs), 500)]
		usccs = usccs[len(part):]
		args := make([]any, len(part))
		for i, u := range part {
			args[i] = u
		}
		rows, err := s.d.DB.QueryContext(ctx, `SELECT uscc, legal_rep_id_index FROM entities WHERE legal_rep_id_index <> ''
			AND uscc IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("entity: legal representatives: %w", err)
		}
		for rows.Next() {
			var u, idx string
			if err := rows.Scan(&u, &idx); err != nil {
				rows.Close()
				return nil, fmt.Errorf("entity: legal representatives: %w", err)
			}
			out[u] = idx
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SharingLegalRep returns the other businesses whose legal representative
// has the same identity number as uscc's (at most 1000). The index is read
// first and then looked up as a value: most businesses of a register have
// none recorded, and a join would be planned for that common empty value.
func (s *Service) SharingLegalRep(ctx context.Context, uscc string) ([]string, error) {
	uscc = ids.NormalizeUSCC(uscc)
	var idx string
	err := s.d.DB.QueryRowContext(ctx, "SELECT legal_rep_id_index FROM entities WHERE uscc = ?", uscc).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) || idx == "" {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("entity: sharing legal representative: %w", err)
	}
	rows, err := s.d.DB.QueryContext(ctx, `SELECT uscc FROM entities WHERE legal_rep_id_index = ? AND uscc <> ?
		ORDER BY uscc LIMIT 1000`, idx, uscc)
	if err != nil {
		return nil, fmt.Errorf("entity: sharing legal representative: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// ScanFactRows calls fn with every fact of the businesses with codes from
// lo to hi (inclusive) recorded as of asOf (YYYY-MM-DD) or earlier, with
// its as-of date and source department, ordered by business, name and
// date, so that the last one of a name is the one in force. Rules that
// explain themselves (policies that find the business) read it.
func (s *Service) ScanFactRows(ctx context.Context, lo, hi, asOf string,
	fn func(uscc, name, typ, value, factAsOf string, dept int64) error) error {
	rows, err := s.d.DB.QueryContext(ctx, `SELECT uscc, name, type, value, as_of, department_id FROM entity_facts
		WHERE uscc >= ? AND uscc <= ? AND as_of <= ? ORDER BY uscc, name, as_of, id`, lo, hi, asOf)
	if err != nil {
		return fmt.Errorf("entity: facts: %w", err)
	}
	defer rows.Close()
	var u, n, t, v, a string
	var d int64
	for rows.Next() {
		if err := rows.Scan(&u, &n, &t, &v, &a, &d); err != nil {
			return fmt.Errorf("entity: facts: %w", err)
		}
		if err := fn(u, n, t, v, a, d); err != nil {
			return err
		}
	}
	return rows.Err()
}
