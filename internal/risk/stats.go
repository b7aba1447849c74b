package risk

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
)

// Row is one line of a distribution: businesses per class under a key (a
// region code, an industry section, a month).
type Row struct {
	Key     string         `json:"key"`
	Counts  map[string]int `json:"counts" doc:"Businesses per class"`
	Total   int            `json:"total"`
	Percent map[string]int `json:"percent" doc:"Share of each class, whole percent"`
}

// Move is the number of businesses that moved between two classes in a
// month, in a region and an industry. From is empty for a business
// classified for the first time.
type Move struct {
	Month    string `json:"month"`
	Region   string `json:"region_code"`
	Industry string `json:"industry"`
	From     string `json:"from"`
	To       string `json:"to"`
	N        int    `json:"n"`
}

// Distribution is the classes of the businesses a supervisor oversees.
type Distribution struct {
	Region     string         `json:"region_code" doc:"The caller's region"`
	Total      int            `json:"total"`
	ByClass    map[string]int `json:"by_class"`
	ByRegion   []Row          `json:"by_region"`
	ByIndustry []Row          `json:"by_industry"`
	ByMonth    []Row          `json:"by_month" doc:"At the last full run of each month"`
}

// regionPattern is the LIKE pattern of the regions within code.
func regionPattern(code string) string {
	switch ids.RegionLevel(code) {
	case 1:
		return code[:2] + "%"
	case 2:
		return code[:4] + "%"
	}
	return code
}

// scope returns the region whose businesses a reads, or ErrNotFound.
func (m *Module) scope(a *auth.Actor) (string, error) {
	if a == nil || !a.HasAny(staffRoles...) || len(a.RegionCode) != 6 ||
		!m.canRead(a, a.RegionCode) {
		return "", ErrNotFound
	}
	return a.RegionCode, nil
}

// Distribution counts the classes of the businesses in a's region, by
// region, industry and month.
func (m *Module) Distribution(ctx context.Context, a *auth.Actor) (*Distribution, error) {
	region, err := m.scope(a)
	if err != nil {
		return nil, err
	}
	d := &Distribution{Region: region, ByClass: map[string]int{}}
	regions, industries := map[string]*Row{}, map[string]*Row{}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT region_code, industry, class, COUNT(*) FROM risk_classes WHERE region_code LIKE ?
		GROUP BY region_code, industry, class`, regionPattern(region))
	if err != nil {
		return nil, fmt.Errorf("risk: distribution: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var reg, ind, class string
		var n int
		if err := rows.Scan(&reg, &ind, &class, &n); err != nil {
			return nil, fmt.Errorf("risk: distribution: %w", err)
		}
		d.Total += n
		d.ByClass[class] += n
		add(regions, reg, class, n)
		add(industries, ind, class, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	d.ByRegion, d.ByIndustry = sorted(regions), sorted(industries)
	months := map[string]*Row{}
	srows, err := m.d.DB.QueryContext(ctx, `SELECT month, class, SUM(n) FROM risk_snapshots WHERE region_code LIKE ?
		GROUP BY month, class`, regionPattern(region))
	if err != nil {
		return nil, fmt.Errorf("risk: distribution by month: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var month, class string
		var n int
		if err := srows.Scan(&month, &class, &n); err != nil {
			return nil, fmt.Errorf("risk: distribution by month: %w", err)
		}
		add(months, month, class, n)
	}
	d.ByMonth = sorted(months)
	return d, srows.Err()
}

func add(rows map[string]*Row, key, class string, n int) {
	r := rows[key]
	if r == nil {
		r = &Row{Key: key, Counts: map[string]int{}, Percent: map[string]int{}}
		rows[key] = r
	}
	r.Counts[class] += n
	r.Total += n
}

func sorted(rows map[string]*Row) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		for _, c := range Classes {
			if r.Total > 0 {
				r.Percent[c] = (r.Counts[c]*100 + r.Total/2) / r.Total
			}
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// MaxMovesPage bounds one page of movements.
const MaxMovesPage = 1000

// movesWhere is the filter of a's movements in month.
func (m *Module) movesWhere(a *auth.Actor, month string) (string, []any, error) {
	region, err := m.scope(a)
	if err != nil {
		return "", nil, err
	}
	q, args := ` FROM risk_moves WHERE region_code LIKE ?`, []any{regionPattern(region)}
	if month != "" {
		q, args = q+" AND month = ?", append(args, month)
	}
	return q, args, nil
}

// Moves lists one page of the movements between classes in month (YYYY-MM;
// empty for every month) in a's region, newest month first, from offset
// (limit at most MaxMovesPage), with the number of rows in all. A row is
// one month × region × industry × from × to, so the list is short
// compared with the businesses it counts.
func (m *Module) Moves(ctx context.Context, a *auth.Actor, month string, offset, limit int) ([]Move, int, error) {
	where, args, err := m.movesWhere(a, month)
	if err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > MaxMovesPage {
		limit = MaxMovesPage
	}
	var total int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*)"+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("risk: movements: %w", err)
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT month, region_code, industry, from_class, to_class, n"+where+
		" ORDER BY month DESC, region_code, industry, from_class, to_class LIMIT ? OFFSET ?", append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("risk: movements: %w", err)
	}
	defer rows.Close()
	out := []Move{}
	for rows.Next() {
		var mv Move
		if err := rows.Scan(&mv.Month, &mv.Region, &mv.Industry, &mv.From, &mv.To, &mv.N); err != nil {
			return nil, 0, fmt.Errorf("risk: movements: %w", err)
		}
		out = append(out, mv)
	}
	return out, total, rows.Err()
}

// MovesSummary adds up all of a's movements in month (empty: every month)
// by month, counted in the database, however many rows there are.
func (m *Module) MovesSummary(ctx context.Context, a *auth.Actor, month string) ([]MoveSummary, error) {
	where, args, err := m.movesWhere(a, month)
	if err != nil {
		return nil, err
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT month, from_class, to_class, SUM(n)"+where+" GROUP BY month, from_class, to_class", args...)
	if err != nil {
		return nil, fmt.Errorf("risk: movement summary: %w", err)
	}
	defer rows.Close()
	var moves []Move
	for rows.Next() {
		var mv Move
		if err := rows.Scan(&mv.Month, &mv.From, &mv.To, &mv.N); err != nil {
			return nil, fmt.Errorf("risk: movement summary: %w", err)
		}
		moves = append(moves, mv)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return Summarise(moves), nil
}

// MoveSummary adds up moves by month: how many went up (to a higher-risk
// class), down, or were classified for the first time.
type MoveSummary struct {
	Month string `json:"month"`
	Up    int    `json:"up"`
	Down  int    `json:"down"`
	New   int    `json:"new"`
}

// Summarise adds up moves by month, newest first.
func Summarise(moves []Move) []MoveSummary {
	by := map[string]*MoveSummary{}
	for _, mv := range moves {
		s := by[mv.Month]
		if s == nil {
			s = &MoveSummary{Month: mv.Month}
			by[mv.Month] = s
		}
		switch {
		case mv.From == "":
			s.New += mv.N
		case classRank(mv.To) > classRank(mv.From):
			s.Up += mv.N
		default:
			s.Down += mv.N
		}
	}
	out := make([]MoveSummary, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Month, out[j].Month) > 0 })
	return out
}
