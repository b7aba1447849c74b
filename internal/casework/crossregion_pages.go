package casework

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/web"
)

var crossRoles = []auth.Role{auth.RoleClerk, auth.RoleHandler, auth.RoleApprover, auth.RoleSupervisor, auth.RoleAdmin}

// crossRoutes registers the cross-region pages: the list both sides see,
// with figures per pair of regions, and the receiving window's forwarding.
func (m *Module) crossRoutes(s *web.Server) {
	req := s.Require(crossRoles...)
	s.Handle("GET /cross-region", req(http.HandlerFunc(m.crossListPage)))
	s.Handle("GET /cross-region/{id}", req(http.HandlerFunc(m.crossPage)))
	s.Handle("POST /cross-region/{id}", req(http.HandlerFunc(m.crossSubmit)))
	s.Handle("POST /cross-region/{id}/acknowledge", req(http.HandlerFunc(m.crossAcknowledge)))
}

// crossRow is one cross-region application in the list.
type crossRow struct {
	Application
	From, To   string // region names
	Department string
	Forwarded  bool
}

// crossListData is the cross-region list.
type crossListData struct {
	Pending []crossRow // taken in here, to be forwarded
	Rows    []crossRow
	Pairs   []FigureRow
	Pager   web.Pager
}

// StatusName is for the templates.
func (crossListData) StatusName(s Status) string { return s.Name() }

func (m *Module) crossListPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	apps, pg, err := m.CrossRegionPage(ctx, a, pageSize, after, true)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	ids := make([]int64, len(apps))
	for i, app := range apps {
		ids[i] = app.ID
	}
	fwd, err := m.forwarded(ctx, ids)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	name := m.regionName(ctx)
	var d crossListData
	for _, app := range apps {
		row := crossRow{Application: app, From: name(app.IntakeRegion), To: name(app.RegionCode),
			Department: m.departmentName(ctx, app.DepartmentID), Forwarded: fwd[app.ID]}
		if !row.Forwarded && app.Status == StatusSubmitted && a.Has(auth.RoleClerk) {
			d.Pending = append(d.Pending, row)
			continue
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pager = web.KeysetPager(r, "after", pg.Count, pg.Next.String())
	sample, err := m.CrossRegionApps(ctx, a, 500)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	fa, err := m.figureApps(ctx, sample)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Pairs = computeFigures(fa, m.d.Calendar(), name).ByPair
	m.s.Render(w, r, "casework/cross_list.html", d)
}

// crossData is the forwarding page of one application.
type crossData struct {
	View       *View
	From, To   string
	Department string
	Crossing   *Crossing
	CanForward bool
	// CanAcknowledge: the owning department's staff may sign for it.
	CanAcknowledge bool
	Form           url.Values
	Problems       []*FieldError
	Error          string
}

// StatusName is for the templates.
func (crossData) StatusName(s Status) string { return s.Name() }

// ProblemFor returns the message for path.
func (d crossData) ProblemFor(path string) string {
	for _, p := range d.Problems {
		if p.Path == path {
			return p.Message
		}
	}
	return ""
}

func (m *Module) crossPage(w http.ResponseWriter, r *http.Request) {
	m.renderCross(w, r, http.StatusOK, crossData{Form: url.Values{}})
}

func (m *Module) renderCross(w http.ResponseWriter, r *http.Request, status int, d crossData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	app, err := m.CrossRegionApp(ctx, a, pathID(r))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if d.View, err = m.view(ctx, app); err != nil {
		m.fail(w, r, err)
		return
	}
	name := m.regionName(ctx)
	d.From, d.To, d.Department = name(app.IntakeRegion), name(app.RegionCode), m.departmentName(ctx, app.DepartmentID)
	if c, err := m.Crossing(ctx, a, app.ID); err == nil {
		d.Crossing = c
	}
	d.CanForward = d.Crossing == nil && app.Status == StatusSubmitted && a.Has(auth.RoleClerk) &&
		ids.RegionContains(a.RegionCode, app.IntakeRegion)
	d.CanAcknowledge = d.Crossing != nil && d.Crossing.AcknowledgedAt.IsZero() &&
		a.HasAny(auth.RoleHandler, auth.RoleApprover) && slices.Contains(a.DepartmentIDs, app.DepartmentID)
	m.s.RenderStatus(w, r, status, "casework/cross_forward.html", d)
}

func (m *Module) crossSubmit(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	f := r.PostForm
	_, err := m.Forward(ctx, auth.FromContext(ctx), pathID(r), ForwardInput{FormChecked: f.Get("form_checked") == "1",
		IdentityChecked: f.Get("identity_checked") == "1", Note: f.Get("note"), Delivery: Delivery(f.Get("delivery")),
		DeliveryAddress: f.Get("delivery_address")})
	if fes := FieldErrors(err); len(fes) > 0 {
		m.renderCross(w, r, http.StatusUnprocessableEntity, crossData{Form: f, Problems: fes})
		return
	}
	switch web.StatusOf(err) {
	case http.StatusOK:
	case http.StatusConflict:
		m.renderCross(w, r, http.StatusConflict, crossData{Form: f, Error: "casework.error.state"})
		return
	default:
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cross-region/"+r.PathValue("id")+"?ok=1", http.StatusSeeOther)
}

func (m *Module) crossAcknowledge(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, err := m.Acknowledge(ctx, auth.FromContext(ctx), pathID(r))
	switch web.StatusOf(err) {
	case http.StatusOK:
	case http.StatusConflict:
		m.renderCross(w, r, http.StatusConflict, crossData{Form: url.Values{}, Error: "casework.error.state"})
		return
	default:
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cross-region/"+r.PathValue("id")+"?ok=1", http.StatusSeeOther)
}

// figureApps reads what the figures need of apps: limits of their item
// versions and, for decided ones, their workflow deadline.
func (m *Module) figureApps(ctx context.Context, apps []Application) ([]figureApp, error) {
	out := make([]figureApp, 0, len(apps))
	for i := range apps {
		app := &apps[i]
		f := figureApp{ItemCode: app.ItemCode, ItemName: app.ItemName, DepartmentID: app.DepartmentID,
			IntakeRegion: app.IntakeRegion, Region: app.RegionCode, Status: app.Status, SubmittedAt: app.SubmittedAt,
			FinishedAt: app.FinishedAt, RuleVersion: app.RuleVersion}
		if it, err := m.d.Catalog.Version(ctx, app.ItemCode, app.ItemVersion); err == nil {
			f.Promised, f.Legal = it.PromisedLimitDays, it.LegalLimitDays
		} else if !isCatalogNotFound(err) {
			return nil, err
		}
		if f.decided() && app.InstanceID != 0 {
			if in, err := m.d.Flow.Instance(ctx, app.InstanceID); err == nil {
				f.DueAt = in.DueAt
			}
		}
		out = append(out, f)
	}
	return out, nil
}
