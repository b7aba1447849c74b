package calendar

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// Service holds the calendar the running program counts with. Readers take
// the current snapshot with Current, lock-free; Reload swaps in a new one
// read from the store. Each node reloads on its own: after an administrator
// changes a year, call Reload on every node (or periodically).
type Service struct {
	Store Store

	db  *store.DB
	now func() time.Time
	log *slog.Logger
	cur atomic.Pointer[Calendar]
}

// NewService returns a service over db. now tells today's date (nil means
// time.Now) and log receives the missing-year warnings (nil discards them).
// Until the first Reload, Current is an empty calendar counting Monday to
// Friday.
func NewService(db *store.DB, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{Store: Store{Now: now}, db: db, now: now, log: log}
	s.cur.Store(New(nil))
	return s
}

// Init stores the shipped years the database lacks and loads the calendar.
// The program calls it once at start, after migrating.
func (s *Service) Init(ctx context.Context) error {
	added, err := s.Store.SeedDefaults(ctx, s.db)
	if err != nil {
		return err
	}
	if len(added) > 0 {
		s.log.InfoContext(ctx, "calendar: stored shipped holiday arrangements", "years", added)
	}
	return s.Reload(ctx)
}

// Current returns the calendar in force. It is never nil.
func (s *Service) Current() *Calendar { return s.cur.Load() }

// Reload reads the calendar from the store and makes it current. It warns
// when this year's or next year's arrangement is missing: the program then
// counts that year Monday to Friday, and deadlines across its holidays will
// be wrong until an administrator enters it.
func (s *Service) Reload(ctx context.Context) error {
	c, err := s.Store.Load(ctx, s.db)
	if err != nil {
		return fmt.Errorf("calendar: reload: %w", err)
	}
	s.cur.Store(c)
	this := s.now().In(CST).Year()
	if c.Missing(this) {
		s.log.WarnContext(ctx, "calendar: this year's holiday arrangement is missing; counting Monday to Friday only (缺少本年度节假日安排)",
			"year", this)
	}
	if next, missing := s.NextYearMissing(); missing {
		s.log.WarnContext(ctx, "calendar: next year's holiday arrangement is missing; enter it when the State Council publishes it (缺少下一年度节假日安排)",
			"year", next)
	}
	return nil
}

// NextYearMissing returns next year (today's year in CST plus one) and
// whether the current calendar lacks its arrangement. Administration pages
// show a banner while it is true; the arrangement is usually published in
// November.
func (s *Service) NextYearMissing() (year int, missing bool) {
	year = s.now().In(CST).Year() + 1
	return year, s.Current().Missing(year)
}
