package calendar

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/store"
)

// ErrNotFound is returned when a year asked for has no data in the store.
var ErrNotFound = errors.New("calendar: year not found")

// Store keeps the calendar in the tables calendar_years and calendar_days.
// Its methods take the database or the caller's transaction, so that a
// change to the calendar commits together with its audit entry.
type Store struct {
	// Now stamps updated_at; nil means time.Now.
	Now func() time.Time
}

// YearInfo describes one stored year for the administration pages.
type YearInfo struct {
	Year      int
	Note      string
	UpdatedAt time.Time
	UpdatedBy string
	Holidays  int // days off listed
	Workdays  int // make-up workdays listed
}

type yearRow struct {
	bun.BaseModel `bun:"table:calendar_years"`

	Year      int       `bun:"year,pk"`
	Note      string    `bun:"note"`
	UpdatedAt time.Time `bun:"updated_at"`
	UpdatedBy string    `bun:"updated_by"`
}

type dayRow struct {
	bun.BaseModel `bun:"table:calendar_days"`

	Day  string `bun:"day,pk"`
	Year int    `bun:"year"`
	Kind string `bun:"kind"`
	Name string `bun:"name"`
}

// SystemAuthor is the updated_by recorded for years seeded from the data
// shipped with the program.
const SystemAuthor = "system"

func (s Store) now() time.Time {
	if s.Now != nil {
		return store.Time(s.Now())
	}
	return store.Time(time.Now())
}

// SeedDefaults stores each year of [Official] that the store does not hold
// yet and returns the years it added. It is idempotent and safe when several
// nodes start at once: a year already present, including one an
// administrator edited, is left alone. A year an administrator deleted comes
// back on the next start, since the shipped data still has it.
func (s Store) SeedDefaults(ctx context.Context, db store.IDB) ([]int, error) {
	var added []int
	for _, y := range Official() {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewInsert().
				Model(&yearRow{Year: y.Year, Note: y.Note, UpdatedAt: s.now(), UpdatedBy: SystemAuthor}).
				On("CONFLICT (year) DO NOTHING").
				Exec(ctx)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				return nil // present already
			}
			if err := insertDays(ctx, tx, y); err != nil {
				return err
			}
			added = append(added, y.Year)
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("calendar: seed %d: %w", y.Year, err)
		}
	}
	return added, nil
}

// Load reads every stored year into a new Calendar.
func (s Store) Load(ctx context.Context, db store.IDB) (*Calendar, error) {
	var yrs []yearRow
	if err := db.NewSelect().Model(&yrs).Order("year").Scan(ctx); err != nil {
		return nil, fmt.Errorf("calendar: load years: %w", err)
	}
	var days []dayRow
	if err := db.NewSelect().Model(&days).Order("day").Scan(ctx); err != nil {
		return nil, fmt.Errorf("calendar: load days: %w", err)
	}
	index := make(map[int]int, len(yrs))
	years := make([]Year, len(yrs))
	for i, r := range yrs {
		years[i] = Year{Year: r.Year, Note: r.Note}
		index[r.Year] = i
	}
	for _, d := range days {
		i, ok := index[d.Year]
		if !ok {
			continue // impossible with the foreign key
		}
		years[i].Days = append(years[i].Days, Day{Date: d.Day, Kind: Kind(d.Kind), Name: d.Name})
	}
	return New(years), nil
}

// GetYear reads one stored year, its days sorted by date, or returns
// ErrNotFound.
func (s Store) GetYear(ctx context.Context, db store.IDB, year int) (Year, error) {
	var r yearRow
	err := db.NewSelect().Model(&r).Where("year = ?", year).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Year{}, fmt.Errorf("calendar: get %d: %w", year, ErrNotFound)
	}
	if err != nil {
		return Year{}, fmt.Errorf("calendar: get %d: %w", year, err)
	}
	var days []dayRow
	if err := db.NewSelect().Model(&days).Where("year = ?", year).Order("day").Scan(ctx); err != nil {
		return Year{}, fmt.Errorf("calendar: get %d: days: %w", year, err)
	}
	y := Year{Year: year, Note: r.Note, Days: make([]Day, 0, len(days))}
	for _, d := range days {
		y.Days = append(y.Days, Day{Date: d.Day, Kind: Kind(d.Kind), Name: d.Name})
	}
	return y, nil
}

// SetYear validates y and replaces the stored data of y.Year with it,
// recording who did it. Invalid data is refused with a *ValidationError
// naming the bad date, before anything is written. The replacement is
// atomic: it runs in tx (a savepoint when tx is a transaction), so the
// caller's audit entry and the new year commit or roll back together.
// Running services see the change after [Service.Reload].
func (s Store) SetYear(ctx context.Context, tx store.IDB, y Year, by string) error {
	if err := y.Validate(); err != nil {
		return err
	}
	if by == "" {
		return fmt.Errorf("calendar: set %d: no author given: %w", y.Year, ErrInvalid)
	}
	err := tx.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().
			Model(&yearRow{Year: y.Year, Note: y.Note, UpdatedAt: s.now(), UpdatedBy: by}).
			On("CONFLICT (year) DO UPDATE").
			Set("note = EXCLUDED.note").
			Set("updated_at = EXCLUDED.updated_at").
			Set("updated_by = EXCLUDED.updated_by").
			Exec(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*dayRow)(nil)).Where("year = ?", y.Year).Exec(ctx); err != nil {
			return err
		}
		return insertDays(ctx, tx, y)
	})
	if err != nil {
		return fmt.Errorf("calendar: set %d: %w", y.Year, err)
	}
	return nil
}

// DeleteYear removes a year and its days, so the calendar counts that year
// Monday to Friday again (and warns). It returns ErrNotFound when the year
// is not stored.
func (s Store) DeleteYear(ctx context.Context, db store.IDB, year int) error {
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*dayRow)(nil)).Where("year = ?", year).Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewDelete().Model((*yearRow)(nil)).Where("year = ?", year).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("calendar: delete %d: %w", year, err)
	}
	return nil
}

// ListYears describes every stored year, in ascending order.
func (s Store) ListYears(ctx context.Context, db store.IDB) ([]YearInfo, error) {
	var yrs []yearRow
	if err := db.NewSelect().Model(&yrs).Order("year").Scan(ctx); err != nil {
		return nil, fmt.Errorf("calendar: list years: %w", err)
	}
	var counts []struct {
		Year int    `bun:"year"`
		Kind string `bun:"kind"`
		N    int    `bun:"n"`
	}
	err := db.NewSelect().Model((*dayRow)(nil)).
		Column("year", "kind").ColumnExpr("COUNT(*) AS n").
		Group("year", "kind").
		Scan(ctx, &counts)
	if err != nil {
		return nil, fmt.Errorf("calendar: list years: count days: %w", err)
	}
	infos := make([]YearInfo, len(yrs))
	for i, r := range yrs {
		infos[i] = YearInfo{Year: r.Year, Note: r.Note, UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy}
	}
	for _, c := range counts {
		i, ok := slices.BinarySearchFunc(infos, c.Year, func(y YearInfo, t int) int { return cmp.Compare(y.Year, t) })
		if !ok {
			continue
		}
		switch Kind(c.Kind) {
		case Holiday:
			infos[i].Holidays = c.N
		case Workday:
			infos[i].Workdays = c.N
		}
	}
	return infos, nil
}

func insertDays(ctx context.Context, tx bun.IDB, y Year) error {
	if len(y.Days) == 0 {
		return nil
	}
	rows := make([]dayRow, len(y.Days))
	for i, d := range y.Days {
		rows[i] = dayRow{Day: d.Date, Year: y.Year, Kind: string(d.Kind), Name: d.Name}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}
