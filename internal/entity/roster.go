package entity

import (
	"context"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// Brief is a business as lists of other modules show it.
type Brief struct {
	USCC       string `json:"uscc"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
	Status     string `json:"status"`
}

// Roster returns up to limit businesses after code after (in code order)
// whose status is one of statuses and that were established on or before
// establishedBy: the businesses an obligation such as the annual report
// applies to, read page by page from the primary key so that a sweep over
// a million businesses holds none of them in memory.
func (s *Service) Roster(ctx context.Context, statuses []string, establishedBy calendar.Date, after string, limit int) ([]Brief, error) {
	if len(statuses) == 0 || limit <= 0 {
		return nil, nil
	}
	q := `SELECT uscc, name, region_code, status FROM entities WHERE uscc > ? AND established_on <= ? AND status IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(statuses)), ", ") + `) ORDER BY uscc LIMIT ?`
	args := []any{after, establishedBy.String()}
	for _, st := range statuses {
		args = append(args, st)
	}
	args = append(args, limit)
	rows, err := s.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("entity: roster: %w", err)
	}
	defer rows.Close()
	var out []Brief
	for rows.Next() {
		var b Brief
		if err := rows.Scan(&b.USCC, &b.Name, &b.RegionCode, &b.Status); err != nil {
			return nil, fmt.Errorf("entity: roster: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// ExistsIn is Exists read in db, the caller's transaction: org asks it
// before linking an enterprise account to a code.
func (s *Service) ExistsIn(ctx context.Context, db store.IDB, uscc string) (bool, error) {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM entities WHERE uscc = ?", ids.NormalizeUSCC(uscc)).Scan(&n); err != nil {
		return false, fmt.Errorf("entity: exists %s: %w", uscc, err)
	}
	return n > 0, nil
}
