package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// revCalendar is the revision kind of a calendar year; its key is the
// year.
const revCalendar = "calendar"

// yearSnapshot is a year as its revisions keep it: a year not stored is
// one without days, so both hash alike.
func yearSnapshot(y calendar.Year) calendar.Year {
	if y.Days == nil {
		y.Days = []calendar.Day{}
	}
	return y
}

// storedYear reads a year from db, the empty year and false when it is not
// stored.
func (m *Module) storedYear(ctx context.Context, db store.IDB, year int) (calendar.Year, bool, error) {
	y, err := m.d.Calendar.Store.GetYear(ctx, db, year)
	switch {
	case err == nil:
		return yearSnapshot(y), true, nil
	case errors.Is(err, calendar.ErrNotFound):
		return yearSnapshot(calendar.Year{Year: year}), false, nil
	}
	return calendar.Year{}, false, err
}

// yearRows flattens a year for a preview: one row per special day, and
// the note.
func yearRows(y calendar.Year) []revision.Row {
	rows := make([]revision.Row, 0, len(y.Days)+1)
	for _, d := range y.Days {
		rows = append(rows, revision.Row{Key: d.Date, Value: string(d.Kind) + " " + d.Name})
	}
	if y.Note != "" {
		rows = append(rows, revision.Row{Key: "note", Value: y.Note})
	}
	return rows
}

// yearFromForm parses the editor's text into a year. A text without any
// day is refused unless clear is set, so that emptying a year is a
// deliberate choice and never the effect of a lost field; clear with days
// is refused too, being contradictory.
func yearFromForm(year int, note, text string, clear bool) (calendar.Year, error) {
	if revision.HasControl(note) || revision.HasControl(text) {
		return calendar.Year{}, &FieldError{Name: "days", Message: "不能含有控制字符 (control characters are not allowed)"}
	}
	y, err := ParseDays(year, note, text)
	if err != nil {
		return y, err
	}
	return y, checkClear(y, clear)
}

// checkClear refuses a year without days unless clear asks for exactly
// that, and clear with days.
func checkClear(y calendar.Year, clear bool) error {
	switch {
	case len(y.Days) == 0 && !clear:
		return &FieldError{Name: "days", Message: "未填写任何特殊日期；如确要删除本年全部安排，请选择“清空本年” (no days given: to remove the whole arrangement, choose clear)"}
	case len(y.Days) > 0 && clear:
		return &FieldError{Name: "clear", Message: "选择“清空本年”时不能同时填写日期 (clear cannot be combined with days)"}
	}
	return nil
}

// authorizeCalendar checks that a administers the platform calendar.
func (m *Module) authorizeCalendar(ctx context.Context, a *auth.Actor) error {
	obj, err := m.platformObject(ctx, "calendar")
	if err != nil {
		return err
	}
	return m.d.Policy.Authorize(a, auth.ActAdminister, obj)
}

// replaceYear replaces a year's arrangement for an administrator of the
// root region: refused with revision.ErrStale when base is set and the
// stored year is no longer the one it names; the year found and the new
// one are kept as revisions, audited in the same transaction, and the
// calendar in force is reloaded.
func (m *Module) replaceYear(ctx context.Context, a *auth.Actor, y calendar.Year, base, reason string, from int64) (revision.Revision, error) {
	obj, err := m.platformObject(ctx, "calendar")
	if err != nil {
		return revision.Revision{}, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, obj); err != nil {
		return revision.Revision{}, err
	}
	if err := y.Validate(); err != nil {
		return revision.Revision{}, err
	}
	y = yearSnapshot(y)
	holidays, workdays := countKinds(y.Days)
	var rev revision.Revision
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var cur calendar.Year
		rev, err = m.d.Revisions.Store().Replace(ctx, tx, revision.Replacement{
			Kind: revCalendar, Key: strconv.Itoa(y.Year), Base: base, Next: y, Size: len(y.Days),
			ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) {
				var err error
				cur, _, err = m.storedYear(ctx, tx, y.Year)
				return cur, err
			},
			Actor: a, RegionCode: obj.RegionCode, Reason: reason, RestoredFrom: from,
			Apply: func(ctx context.Context, tx store.IDB) error { return m.d.Calendar.Store.SetYear(ctx, tx, y, a.Name) },
		})
		if err != nil {
			return err
		}
		recounted := 0
		if m.d.Flows != nil {
			// The open deadlines counted into the year move to its
			// arrangement in the same transaction, each with its own entry.
			next, err := m.d.Calendar.Store.Load(ctx, tx)
			if err != nil {
				return err
			}
			if recounted, err = m.d.Flows.Recount(ctx, tx, m.d.Calendar.Current(), next, y.Year, a); err != nil {
				return err
			}
		}
		_, err = m.d.Audit.Append(ctx, tx, entry(a, "calendar.set_year", "calendar", strconv.Itoa(y.Year), obj.RegionCode,
			map[string]any{"holidays": holidays, "workdays": workdays, "note": y.Note, "revision": rev.Seq,
				"reason": rev.Reason, "restored_from": from, "removed": revision.Count(revision.Diff(yearRows(cur), yearRows(y))).Removed,
				"recounted": recounted}))
		return err
	})
	if err != nil {
		return revision.Revision{}, err
	}
	return rev, m.d.Calendar.Reload(ctx)
}

// calendarPreview shows what saving y would change, with a confirm button
// carrying the submitted form and the hash of the stored year; status is
// 409 when a confirm came too late (stale).
func (m *Module) calendarPreview(w http.ResponseWriter, r *http.Request, status int, y calendar.Year, stale bool) {
	cur, _, err := m.storedYear(r.Context(), m.d.DB, y.Year)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	base, err := revision.Hash(cur)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	key := strconv.Itoa(y.Year)
	fields := url.Values{"note": {y.Note}, "days": {r.PostForm.Get("days")}}
	if len(y.Days) == 0 {
		fields.Set("clear", "1")
	}
	m.d.Revisions.RenderPreview(w, r, status, revision.Preview{
		Title: m.t(r, "admin.calendar.year_title", i18n.Args{"year": y.Year}), Back: "/admin/calendar/" + key,
		Action: "/admin/calendar/" + key, Versions: revision.Link(revCalendar, key), Fields: fields, Base: base,
		Changes: revision.Diff(yearRows(cur), yearRows(y)), Stale: stale})
}

// calendarSet exposes calendar years to the versions pages.
type calendarSet struct{ m *Module }

func (c calendarSet) year(key string) (int, error) {
	y, err := strconv.Atoi(key)
	if err != nil || y < 1949 || y > 9999 || strconv.Itoa(y) != key {
		return 0, notFound{fmt.Errorf("admin: calendar year %q: %w", key, calendar.ErrNotFound)}
	}
	return y, nil
}

func (c calendarSet) Authorize(ctx context.Context, a *auth.Actor, key string) error {
	if _, err := c.year(key); err != nil {
		return err
	}
	return c.m.authorizeCalendar(ctx, a)
}

func (c calendarSet) Current(ctx context.Context, key string) (any, error) {
	year, err := c.year(key)
	if err != nil {
		return nil, err
	}
	y, _, err := c.m.storedYear(ctx, c.m.d.DB, year)
	return y, err
}

func (c calendarSet) Rows(_ context.Context, snapshot json.RawMessage) ([]revision.Row, error) {
	var y calendar.Year
	if err := json.Unmarshal(snapshot, &y); err != nil {
		return nil, fmt.Errorf("admin: calendar snapshot: %w", err)
	}
	return yearRows(y), nil
}

func (c calendarSet) Restore(ctx context.Context, a *auth.Actor, key string, snapshot json.RawMessage, base string, from int64) error {
	year, err := c.year(key)
	if err != nil {
		return err
	}
	var y calendar.Year
	if err := json.Unmarshal(snapshot, &y); err != nil || y.Year != year {
		return fmt.Errorf("admin: calendar snapshot of %d: %w", year, errors.Join(err, calendar.ErrInvalid))
	}
	_, err = c.m.replaceYear(ctx, a, y, base, revision.ReasonRestore, from)
	if errors.Is(err, revision.ErrStale) {
		return err
	}
	return apiError(err)
}

func (c calendarSet) Title(ctx context.Context, key string) string {
	return c.m.s.Bundle().T(i18n.LangFrom(ctx), "admin.calendar.year_title", i18n.Args{"year": key})
}

func (c calendarSet) Link(key string) string { return "/admin/calendar/" + key }
