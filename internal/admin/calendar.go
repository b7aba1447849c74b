package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/revision"
)

// ParseDays reads the calendar editor's text: one special day per line,
//
//	2027-01-01 holiday 元旦
//	2027-02-06 workday 春节调休
//
// or an inclusive range ("2027-02-10..2027-02-16 holiday 春节"). Blank
// lines and lines starting with # are skipped; the kind may also be written
// 放假 or 上班. A malformed line is refused with a *calendar.ValidationError
// naming its date (or its text) and line number; the result is checked with
// calendar.Year.Validate.
func ParseDays(year int, note, text string) (calendar.Year, error) {
	y := calendar.Year{Year: year, Note: strings.TrimSpace(note)}
	sc := bufio.NewScanner(strings.NewReader(text))
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		fields := strings.Fields(s)
		bad := func(date, reason string) error {
			return &calendar.ValidationError{Year: year, Date: date, Reason: fmt.Sprintf("第%d行：%s", line, reason)}
		}
		if len(fields) < 3 {
			return y, bad(fields[0], "每行应为“日期 类型 名称”，如 2027-01-01 holiday 元旦")
		}
		var kind calendar.Kind
		switch fields[1] {
		case "holiday", "放假":
			kind = calendar.Holiday
		case "workday", "上班", "调休":
			kind = calendar.Workday
		default:
			return y, bad(fields[0], fmt.Sprintf("未知类型 %q，应为 holiday（放假）或 workday（调休上班）", fields[1]))
		}
		name := strings.Join(fields[2:], " ")
		first, last, isRange := strings.Cut(fields[0], "..")
		if !isRange {
			y.Days = append(y.Days, calendar.Day{Date: first, Kind: kind, Name: name})
			continue
		}
		lo, err1 := time.Parse(calendar.DateLayout, first)
		hi, err2 := time.Parse(calendar.DateLayout, last)
		switch {
		case err1 != nil:
			return y, bad(first, "日期格式应为 YYYY-MM-DD")
		case err2 != nil:
			return y, bad(last, "日期格式应为 YYYY-MM-DD")
		case hi.Before(lo) || hi.Sub(lo) > 366*24*time.Hour:
			return y, bad(fields[0], "日期范围有误")
		}
		for d := lo; !d.After(hi); d = d.AddDate(0, 0, 1) {
			y.Days = append(y.Days, calendar.Day{Date: d.Format(calendar.DateLayout), Kind: kind, Name: name})
		}
	}
	if err := y.Validate(); err != nil {
		return y, err
	}
	return y, nil
}

// FormatDays writes days in the editor's format, one per line.
func FormatDays(days []calendar.Day) string {
	var b strings.Builder
	for _, d := range days {
		fmt.Fprintf(&b, "%s %s %s\n", d.Date, d.Kind, d.Name)
	}
	return b.String()
}

func countKinds(days []calendar.Day) (holidays, workdays int) {
	for _, d := range days {
		if d.Kind == calendar.Holiday {
			holidays++
		} else {
			workdays++
		}
	}
	return holidays, workdays
}

// dueForm is the due-date calculator.
type dueForm struct {
	From, Days string
	Due        string
	Errors     map[string]string
}

// due computes the end of a limit of days working days counted from the
// date from, with the calendar in force.
func (m *Module) due(from, days string) (string, error) {
	var errs []error
	n, err := strconv.Atoi(strings.TrimSpace(days))
	if err != nil || n < 0 || n > 3650 {
		errs = append(errs, &FieldError{Name: "days", Message: "工作日数须为0至3650的整数 (days must be a whole number from 0 to 3650)"})
	}
	from = strings.TrimSpace(from)
	if _, err := time.Parse(calendar.DateLayout, from); err != nil {
		errs = append(errs, &FieldError{Name: "from", Message: "日期格式应为 YYYY-MM-DD (date must be YYYY-MM-DD)"})
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return calendar.DueDate(m.d.Calendar.Current(), from, n)
}

type calendarData struct {
	base
	Years    []calendar.YearInfo
	NextYear int
	CanEdit  bool
	Due      dueForm
}

func (m *Module) calendarPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	ctx := r.Context()
	years, err := m.d.Calendar.Store.ListYears(ctx, m.d.DB)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := &calendarData{Years: years, CanEdit: m.canEditPlatform(ctx, a, "calendar")}
	d.NextYear, _ = m.d.Calendar.NextYearMissing()
	status := http.StatusOK
	q := r.URL.Query()
	d.Due = dueForm{From: q.Get("from"), Days: q.Get("days")}
	if d.Due.From == "" {
		d.Due.From = m.d.Now().In(calendar.CST).Format(calendar.DateLayout)
	}
	if q.Has("days") {
		due, err := m.due(d.Due.From, d.Due.Days)
		if err != nil {
			d.Due.Errors = formErrors(err)
			status = http.StatusUnprocessableEntity
		}
		d.Due.Due = due
	}
	m.render(w, r, status, "admin/calendar.html", d)
}

// canEditPlatform reports whether the actor administers platform-wide
// data of kind, to show or hide edit forms.
func (m *Module) canEditPlatform(ctx context.Context, a *auth.Actor, kind string) bool {
	obj, err := m.platformObject(ctx, kind)
	return err == nil && m.d.Policy.Authorize(a, auth.ActAdminister, obj) == nil
}

// dayCell is one square of a month grid.
type dayCell struct {
	Day     int // 0 for padding before the 1st
	Date    string
	Kind    string // "holiday", "workday" or "" for an ordinary day
	Weekend bool
	Name    string
}

type monthView struct {
	Month int
	Weeks [][]dayCell
}

// months lays out a year as twelve Monday-first month grids, marking its
// special days.
func months(y calendar.Year) []monthView {
	special := make(map[string]calendar.Day, len(y.Days))
	for _, d := range y.Days {
		special[d.Date] = d
	}
	out := make([]monthView, 0, 12)
	for mo := time.January; mo <= time.December; mo++ {
		first := time.Date(y.Year, mo, 1, 0, 0, 0, 0, time.UTC)
		pad := (int(first.Weekday()) + 6) % 7 // Monday = 0
		var week []dayCell
		for range pad {
			week = append(week, dayCell{})
		}
		mv := monthView{Month: int(mo)}
		for d := first; d.Month() == mo; d = d.AddDate(0, 0, 1) {
			date := d.Format(calendar.DateLayout)
			c := dayCell{Day: d.Day(), Date: date, Weekend: d.Weekday() == time.Saturday || d.Weekday() == time.Sunday}
			if s, ok := special[date]; ok {
				c.Kind, c.Name = string(s.Kind), s.Name
			}
			week = append(week, c)
			if len(week) == 7 {
				mv.Weeks = append(mv.Weeks, week)
				week = nil
			}
		}
		if len(week) > 0 {
			for len(week) < 7 {
				week = append(week, dayCell{})
			}
			mv.Weeks = append(mv.Weeks, week)
		}
		out = append(out, mv)
	}
	return out
}

type calendarYearData struct {
	base
	Year     int
	Stored   bool
	Info     *calendar.YearInfo
	Months   []monthView
	Holidays int
	Workdays int
	CanEdit  bool
	Note     string
	Text     string
	Errors   map[string]string
	Versions string // the page of the year's earlier versions
}

// pathYear reads the {year} path value, or writes a 404.
func (m *Module) pathYear(w http.ResponseWriter, r *http.Request) (int, bool) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 1949 || y > 9999 {
		m.s.Error(w, r, http.StatusNotFound, "")
		return 0, false
	}
	return y, true
}

func (m *Module) calendarYearPage(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	year, ok := m.pathYear(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := &calendarYearData{Year: year, CanEdit: m.canEditPlatform(ctx, a, "calendar")}
	y, err := m.d.Calendar.Store.GetYear(ctx, m.d.DB, year)
	switch {
	case err == nil:
		d.Stored = true
	case statusOf(err) == http.StatusNotFound:
		// A year not yet entered: show an empty grid and the editor.
		y = calendar.Year{Year: year}
	default:
		m.fail(w, r, err)
		return
	}
	if err := m.yearInfo(ctx, d); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Note, d.Text = y.Note, FormatDays(y.Days)
	d.Versions = revision.Link(revCalendar, strconv.Itoa(year))
	d.Months = months(y)
	d.Holidays, d.Workdays = countKinds(y.Days)
	m.render(w, r, http.StatusOK, "admin/calendar_year.html", d)
}

func (m *Module) yearInfo(ctx context.Context, d *calendarYearData) error {
	infos, err := m.d.Calendar.Store.ListYears(ctx, m.d.DB)
	if err != nil {
		return err
	}
	for i := range infos {
		if infos[i].Year == d.Year {
			d.Info = &infos[i]
		}
	}
	return nil
}

func (m *Module) calendarYearSave(w http.ResponseWriter, r *http.Request, a *auth.Actor) {
	year, ok := m.pathYear(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	// The form must carry the set: a body without its days field (another
	// content type, a broken upload) would otherwise read as "no days" and
	// delete the year's holidays.
	if err := revision.ParseForm(r, 1<<20, "days"); err != nil {
		fe := err.(*revision.FormError)
		if fe.Status != http.StatusUnprocessableEntity {
			m.s.Error(w, r, fe.Status, "")
			return
		}
		m.calendarYearRefused(w, r, year, "", "", &FieldError{Name: "days", Message: "表单缺少特殊日期字段，未作任何更改 (the form carries no days field; nothing was changed)"})
		return
	}
	f := r.PostForm
	note, text := f.Get("note"), f.Get("days")
	y, err := yearFromForm(year, note, text, f.Get("clear") == "1")
	if err == nil {
		err = m.authorizeCalendar(ctx, a)
	}
	if err != nil {
		m.calendarYearRefused(w, r, year, note, text, err)
		return
	}
	if f.Get("step") != "confirm" {
		m.calendarPreview(w, r, http.StatusOK, y, false)
		return
	}
	base := strings.TrimSpace(f.Get("base"))
	if base == "" {
		m.calendarYearRefused(w, r, year, note, text, &FieldError{Name: "days", Message: "请先预览更改再确认 (preview the changes before confirming)"})
		return
	}
	_, err = m.replaceYear(ctx, a, y, base, revision.ReasonSave, 0)
	switch {
	case err == nil:
		m.redirect(w, r, "/admin/calendar/"+strconv.Itoa(year), "admin.flash.calendar_saved")
	case errors.Is(err, revision.ErrStale):
		m.calendarPreview(w, r, http.StatusConflict, y, true)
	default:
		m.calendarYearRefused(w, r, year, note, text, err)
	}
}

// calendarYearRefused shows the year page with the refused text in the
// editor and the errors beside it (422), or the error page for errors
// that are not about the input.
func (m *Module) calendarYearRefused(w http.ResponseWriter, r *http.Request, year int, note, text string, err error) {
	ctx := r.Context()
	errs := formErrors(err)
	if errs == nil {
		m.fail(w, r, err)
		return
	}
	// Show the stored year in the grid and the rejected text in the
	// editor, so the administrator fixes the named line.
	d := &calendarYearData{Year: year, CanEdit: true, Note: note, Text: text, Errors: errs}
	stored, found, gerr := m.storedYear(ctx, m.d.DB, year)
	if gerr != nil {
		m.fail(w, r, gerr)
		return
	}
	d.Stored = found
	if err := m.yearInfo(ctx, d); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Months = months(stored)
	d.Holidays, d.Workdays = countKinds(stored.Days)
	d.Versions = revision.Link(revCalendar, strconv.Itoa(year))
	m.render(w, r, http.StatusUnprocessableEntity, "admin/calendar_year.html", d)
}
