package monitoring

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// staffRoles may open the staff pages; the policy then decides what each sees.
var staffRoles = []auth.Role{auth.RoleHandler, auth.RoleApprover, auth.RoleInspector, auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin}

const pageSize = 30

// Mount registers the pages and the ingest API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("monitoring", loc); err != nil {
		return fmt.Errorf("monitoring: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "monitoring"); err != nil {
		return fmt.Errorf("monitoring: %w", err)
	}
	staff := s.Require(staffRoles...)
	reg := s.Require(auth.RoleHandler, auth.RoleApprover)
	act := s.Require(auth.RoleHandler, auth.RoleApprover, auth.RoleInspector)
	s.Handle("GET /monitoring", staff(http.HandlerFunc(m.queuePage)))
	s.Handle("GET /monitoring/export.xlsx", staff(http.HandlerFunc(m.export)))
	s.Handle("GET /monitoring/alerts/{alert}", s.Require()(http.HandlerFunc(m.alertPage)))
	s.Handle("POST /monitoring/alerts/{alert}/acknowledge", act(m.formAction("alert", "/monitoring/alerts/%d", func(ctx context.Context, a *auth.Actor, id int64, _ url.Values) error {
		return m.Acknowledge(ctx, a, id)
	})))
	s.Handle("POST /monitoring/alerts/{alert}/close", act(m.formAction("alert", "/monitoring/alerts/%d", func(ctx context.Context, a *auth.Actor, id int64, f url.Values) error {
		return m.Close(ctx, a, id, f.Get("note"))
	})))
	s.Handle("GET /monitoring/devices", staff(http.HandlerFunc(m.devicesPage)))
	s.Handle("GET /monitoring/devices/new", reg(http.HandlerFunc(m.registerForm)))
	s.Handle("POST /monitoring/devices", reg(http.HandlerFunc(m.registerSubmit)))
	s.Handle("GET /monitoring/devices/{device}", staff(http.HandlerFunc(m.devicePage)))
	s.Handle("POST /monitoring/devices/{device}/revoke", reg(m.formAction("device", "/monitoring/devices/%d", func(ctx context.Context, a *auth.Actor, id int64, _ url.Values) error {
		return m.RevokeDevice(ctx, a, id)
	})))
	s.Handle("POST /monitoring/devices/{device}/token", reg(http.HandlerFunc(m.reissue)))
	s.Handle("GET /monitoring/rules", staff(http.HandlerFunc(m.rulesPage)))
	s.Handle("GET /monitoring/mine", s.Require(auth.RoleEnterprise)(http.HandlerFunc(m.minePage)))
	s.Handle("POST /api/v1/monitoring/readings", web.MaxBytes(MaxBody)(m.svc))
	m.registerAPI(s)
	return nil
}

// Nav links staff to the queue and businesses to their risk prompts.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	switch {
	case a.HasAny(staffRoles...):
		return []web.NavLink{{Path: "/monitoring", Key: "monitoring.nav"}}
	case a.Has(auth.RoleEnterprise):
		return []web.NavLink{{Path: "/monitoring/mine", Key: "monitoring.nav.mine"}}
	}
	return nil
}

// fail answers err as a page: 404 for what the caller may not see.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FieldError
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, store.ErrBadCursor):
		m.s.Error(w, r, http.StatusNotFound, "")
	case errors.Is(err, auth.ErrForbidden):
		m.s.Error(w, r, http.StatusForbidden, "")
	case errors.Is(err, ErrNotOpen):
		m.s.Error(w, r, http.StatusConflict, "monitoring.error.not_open")
	case errors.As(err, &fe):
		m.s.Error(w, r, http.StatusUnprocessableEntity, "monitoring.error.field."+strings.SplitN(fe.Field, ".", 2)[0])
	default:
		m.s.Logger().ErrorContext(r.Context(), "monitoring: page failed", "request_id", web.RequestID(r.Context()), "err", err)
		m.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

type queueData struct {
	Items  []AlertView
	Counts map[Grade]int
	Late   int // open alerts past their limit unacknowledged
	Grades []Grade
	States []State
	Grade  string
	State  string
	Closed bool
	USCC   string
	From   string
	To     string
	Export template.URL // the export with the page's filter
	Pager  web.Pager
	Now    time.Time
	Limits map[string]string
}

func (m *Module) queuePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	q := r.URL.Query()
	f, err := ParseFilter(q)
	if err != nil {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "monitoring.error.filter")
		return
	}
	c, err := web.Cursor(r, "after")
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	f.Cursor, f.Limit = c, pageSize
	items, next, err := m.Alerts(ctx, a, f)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	counts, err := m.CountOpen(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	late, err := m.CountOverdue(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := queueData{Counts: counts, Late: late, Grades: Grades, States: States, Grade: string(f.Grade), State: string(f.State),
		Closed: f.State == StateClosed, USCC: f.USCC, From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Now: m.d.Now(), Limits: m.limitTexts(langOf(r))}
	keep := url.Values{}
	for k, v := range map[string]string{"uscc": d.USCC, "grade": d.Grade, "state": d.State, "from": d.From, "to": d.To} {
		if v != "" {
			keep.Set(k, v)
		}
	}
	d.Export = "/monitoring/export.xlsx"
	if e := keep.Encode(); e != "" {
		d.Export += template.URL("?" + e)
	}
	for _, al := range items {
		d.Items = append(d.Items, AlertView{Alert: al, Due: m.Due(al)})
	}
	d.Pager = web.KeysetPager(r, "after", len(items), next.String())
	m.s.Render(w, r, "monitoring/queue.html", d)
}

type alertData struct {
	Limit          string
	A              *AlertView
	Rule           Rule
	CanAct, Staff  bool
	Overdue        bool
	Now            time.Time
	DeviceReadable bool
}

func (m *Module) alertPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := pathID(r, "alert")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	v, err := m.GetAlert(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	now := m.d.Now()
	d := alertData{Limit: m.limitText(langOf(r), m.rules.AckLimit(v.Grade)), A: v, Rule: m.rules.byCode()[v.RuleCode], Now: now, Overdue: v.Overdue(now),
		CanAct: !v.Closed && m.d.Policy.Authorize(a, auth.ActAct, alertObject(v.Alert)) == nil,
		Staff:  a.HasAny(staffRoles...)}
	d.DeviceReadable = d.Staff
	m.s.Render(w, r, "monitoring/alert.html", d)
}

// formID reads the id a form POST names in path value key and parses its
// form; on a bad id or form it has answered and reports false.
func (m *Module) formID(w http.ResponseWriter, r *http.Request, key string) (int64, bool) {
	id, err := pathID(r, key)
	if err != nil {
		m.fail(w, r, err)
		return 0, false
	}
	return id, m.s.ParseForm(w, r)
}

// formAction serves a staff action posted from an object's page: it runs
// do on the id path value key names and sends the browser back to the
// page (back, formatted with the id), so that every action answers a bad
// id, a bad form and a refusal alike.
func (m *Module) formAction(key, back string, do func(ctx context.Context, a *auth.Actor, id int64, f url.Values) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := m.formID(w, r, key)
		if !ok {
			return
		}
		ctx := r.Context()
		if err := do(ctx, auth.FromContext(ctx), id, r.PostForm); err != nil {
			m.fail(w, r, err)
			return
		}
		http.Redirect(w, r, fmt.Sprintf(back, id), http.StatusSeeOther)
	})
}

type devicesData struct {
	Items     []RegisteredDevice
	Q         string
	Pager     web.Pager
	CanCreate bool
}

func (m *Module) devicesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 60 || hasControl(q) {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "monitoring.error.filter")
		return
	}
	c, err := web.Cursor(r, "after")
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	items, next, err := m.Devices(ctx, a, DeviceFilter{Query: q, Cursor: c, Limit: pageSize})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "monitoring/devices.html", devicesData{Items: items, Q: q, Pager: web.KeysetPager(r, "after", len(items), next.String()),
		CanCreate: a.HasAny(auth.RoleHandler, auth.RoleApprover)})
}

type registerData struct {
	Kinds               []string
	USCC, Kind, Loc, Un string
	Problem             string
}

func (m *Module) registerForm(w http.ResponseWriter, r *http.Request) {
	m.s.Render(w, r, "monitoring/register.html", registerData{Kinds: m.DeviceKinds()})
}

type tokenData struct {
	Device RegisteredDevice
	Token  string
	Origin string
}

func (m *Module) registerSubmit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !m.s.ParseForm(w, r) {
		return
	}
	f := r.PostForm
	d, tok, err := m.RegisterDevice(ctx, auth.FromContext(ctx), 0, f.Get("uscc"), f.Get("kind"), f.Get("location"), f.Get("unit"))
	var fe *FieldError
	if errors.As(err, &fe) {
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "monitoring/register.html", registerData{Kinds: m.DeviceKinds(),
			USCC: f.Get("uscc"), Kind: f.Get("kind"), Loc: f.Get("location"), Un: f.Get("unit"),
			Problem: m.s.Bundle().T(langOf(r), "monitoring.error.field."+fe.Field)})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.showToken(w, r, d, tok, http.StatusCreated)
}

// showToken shows a token once; the page is never cached.
func (m *Module) showToken(w http.ResponseWriter, r *http.Request, d RegisteredDevice, tok string, status int) {
	w.Header().Set("Cache-Control", "no-store")
	m.s.RenderStatus(w, r, status, "monitoring/token.html", tokenData{Device: d, Token: tok})
}

type deviceData struct {
	D         RegisteredDevice
	Charts    []template.HTML
	Alerts    []Alert
	CanManage bool
	Since     time.Time
	Count     int
}

func (m *Module) devicePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := pathID(r, "device")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d, err := m.GetDevice(ctx, a, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	since := m.d.Now().Add(-24 * time.Hour)
	rs, err := m.store.Readings(ctx, id, since, 2000)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	als, _, err := m.Alerts(ctx, a, AlertFilter{Device: id, Limit: 20})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	data := deviceData{D: d, Alerts: als, Since: since, Count: len(rs),
		CanManage: m.d.Policy.Authorize(a, auth.ActCreate, deviceObject(d)) == nil}
	byMetric := map[string][]Reading{}
	var metrics []string
	for _, x := range rs {
		if _, ok := byMetric[x.Metric]; !ok {
			metrics = append(metrics, x.Metric)
		}
		byMetric[x.Metric] = append(byMetric[x.Metric], x)
	}
	slices.Sort(metrics)
	for i, mt := range metrics {
		data.Charts = append(data.Charts, lineChart(fmt.Sprintf("chart-%d", i), m.s.Bundle().T(langOf(r), "monitoring.device.chart", i18n.Args{"metric": mt}), byMetric[mt]))
	}
	m.s.Render(w, r, "monitoring/device.html", data)
}

func (m *Module) reissue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := m.formID(w, r, "device")
	if !ok {
		return
	}
	tok, err := m.ReissueToken(ctx, auth.FromContext(ctx), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d, err := m.store.Device(ctx, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.showToken(w, r, d, tok, http.StatusOK)
}

type rulesData struct {
	Rules    []RuleView
	Scope    string
	Override bool
	Version  int
	Limits   map[string]string
	Grades   []Grade
}

func (m *Module) rulesPage(w http.ResponseWriter, r *http.Request) {
	d := rulesData{Rules: m.RuleViews(), Scope: m.rules.Scope, Override: m.rules != m.national, Version: m.rules.Version,
		Limits: m.limitTexts(langOf(r)), Grades: Grades}
	m.s.Render(w, r, "monitoring/rules.html", d)
}

type mineData struct {
	Items []AlertView
	Rules map[string]Rule
}

func (m *Module) minePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	items, _, err := m.Alerts(ctx, a, AlertFilter{USCC: a.USCC, Limit: 50})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := mineData{Rules: m.rules.byCode()}
	for _, al := range items {
		v := AlertView{Alert: al}
		if v.Device, err = m.store.Device(ctx, al.DeviceID); err != nil {
			m.fail(w, r, err)
			return
		}
		d.Items = append(d.Items, v)
	}
	m.s.Render(w, r, "monitoring/mine.html", d)
}

func langOf(r *http.Request) string { return i18n.LangFrom(r.Context()) }

// lineChart draws one metric's readings as a line with its range and the
// first and last times, as the other modules draw their charts (inline
// SVG, no script).
func lineChart(id, title string, rs []Reading) template.HTML {
	const w, h, left, top, bottom = 640.0, 160.0, 60.0, 10.0, 24.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="%s-t">`, w, h, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, id, html.EscapeString(title))
	if len(rs) == 0 {
		b.WriteString(`<text x="10" y="20" font-size="13">—</text></svg>`)
		return template.HTML(b.String())
	}
	lo, hi := rs[0].Value, rs[0].Value
	for _, r := range rs {
		lo, hi = min(lo, r.Value), max(hi, r.Value)
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	t0, t1 := rs[0].Time, rs[len(rs)-1].Time
	span := t1.Sub(t0).Seconds()
	if span <= 0 {
		span = 1
	}
	x := func(t time.Time) float64 { return left + (w-left-10)*t.Sub(t0).Seconds()/span }
	y := func(v float64) float64 { return top + (h-top-bottom)*(hi-v)/(hi-lo) }
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999"/>`, left, h-bottom, w-10, h-bottom)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end" font-size="12">%s</text>`, left-4, top+10, strconv.FormatFloat(hi, 'g', 6, 64))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end" font-size="12">%s</text>`, left-4, h-bottom, strconv.FormatFloat(lo, 'g', 6, 64))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12">%s</text>`, left, h-6, t0.In(cst).Format("01-02 15:04"))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end" font-size="12">%s</text>`, w-10, h-6, t1.In(cst).Format("01-02 15:04"))
	b.WriteString(`<polyline fill="none" stroke="#1565c0" stroke-width="2" points="`)
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.1f,%.1f", x(r.Time), y(r.Value))
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String())
}
