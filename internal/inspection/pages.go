package inspection

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Mount registers the module's messages, pages and API.
func (m *Module) Mount(s *web.Server) error {
	m.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("inspection", loc); err != nil {
		return fmt.Errorf("inspection: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "inspection"); err != nil {
		return fmt.Errorf("inspection: %w", err)
	}
	staff := s.Require(staffRoles...)
	s.Handle("GET /inspections", staff(http.HandlerFunc(m.staffPage)))
	s.Handle("GET /inspections/draws", http.HandlerFunc(m.drawsPage))
	s.Handle("GET /inspections/draws/{id}", http.HandlerFunc(m.drawPage))
	s.Handle("GET /inspections/items", http.HandlerFunc(m.itemsPage))
	m.registerAPI(s)
	return nil
}

// Nav links department staff and supervisors to the tasks.
func (m *Module) Nav(a *auth.Actor) []web.NavLink {
	if !a.HasAny(staffRoles...) {
		return nil
	}
	return []web.NavLink{{Path: "/inspections", Key: "inspection.nav"}}
}

func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		m.s.Error(w, r, http.StatusNotFound, "")
	default:
		m.s.Error(w, r, web.StatusOf(err), "")
	}
}

func cursor(r *http.Request) int64 {
	n, _ := strconv.ParseInt(r.URL.Query().Get("cursor"), 10, 64)
	return max(n, 0)
}

func (m *Module) drawsPage(w http.ResponseWriter, r *http.Request) {
	list, next, err := m.Draws(r.Context(), cursor(r), 20)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	pending, err := m.PendingDraws(r.Context(), 20)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "inspection/draws.html", map[string]any{"Items": list, "Next": next, "Pending": pending})
}

// drawView is a draw as the public page shows it: the pool is long, so
// the page shows its size per class and the first codes, and links the
// JSON for the rest.
type drawView struct {
	ID      int64
	D       *Draw
	Sizes   map[string]int
	Quotas  map[string]int
	Head    []PoolEntry
	Secrets string
}

func (m *Module) drawPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		m.fail(w, r, ErrNotFound)
		return
	}
	d, err := m.GetDraw(r.Context(), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	v := drawView{ID: id, D: d, Sizes: map[string]int{}, Quotas: map[string]int{}, Head: d.Pool[:min(len(d.Pool), 20)]}
	for _, p := range d.Pool {
		v.Sizes[p.Class]++
	}
	for _, c := range Classes {
		v.Quotas[c] = Quota(d.Ratios[c], v.Sizes[c])
	}
	for _, p := range d.Participants {
		v.Secrets += " + \"|\" + \"" + p.Secret + "\""
	}
	m.s.Render(w, r, "inspection/draw.html", v)
}

func (m *Module) itemsPage(w http.ResponseWriter, r *http.Request) {
	list, next, err := m.Items(r.Context(), nil, true, cursor(r), 50)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	names := map[int64]string{}
	for _, it := range list {
		if _, ok := names[it.DepartmentID]; !ok {
			names[it.DepartmentID] = m.deptName(r.Context(), it.DepartmentID)
		}
	}
	m.s.Render(w, r, "inspection/items.html", map[string]any{"Items": list, "Next": next, "Departments": names})
}

func (m *Module) staffPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	ctx := r.Context()
	tasks, _, err := m.Tasks(ctx, a, 0, 50)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	items, _, err := m.Items(ctx, a, false, 0, 200)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	ins, _, err := m.Inspectors(ctx, a, 0, 200)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "inspection/staff.html", map[string]any{"Tasks": tasks, "Items": items, "Inspectors": ins, "Ratios": m.ratios})
}
