package catalog

import (
	"errors"
	"github.com/yingshang/yingshang/internal/web"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
)

// pageSize is the number of items on one page of a list.
const pageSize = 20

// Option is one choice of a select box.
type Option struct {
	Value, Label string
	Selected     bool
}

func typeOptions(selected ItemType) []Option {
	out := make([]Option, 0, len(ItemTypes))
	for _, t := range ItemTypes {
		out = append(out, Option{Value: string(t), Label: t.Name(), Selected: t == selected})
	}
	return out
}

// listData is what the public catalogue renders.
type listData struct {
	Items       []*Item
	Pager       web.Pager
	Q, Region   string
	Types       []Option
	Departments []Option
	Online      string
	Instant     string
}

func (m *Module) departmentOptions(r *http.Request, selected int64, only func(*org.Department) bool) []Option {
	ds, _, err := m.d.Org.ListDepartments(r.Context(), org.DepartmentFilter{Page: org.Page{Size: 200}})
	if err != nil {
		return nil
	}
	var out []Option
	for i := range ds {
		if !ds[i].Active || (only != nil && !only(&ds[i])) {
			continue
		}
		out = append(out, Option{Value: strconv.FormatInt(ds[i].ID, 10), Label: ds[i].Name, Selected: ds[i].ID == selected})
	}
	return out
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q := strings.TrimSpace(v.Get("q"))
	if len([]rune(q)) > 100 {
		m.s.Error(w, r, http.StatusBadRequest, "catalog.error.query_too_long")
		return
	}
	dept, _ := strconv.ParseInt(v.Get("department"), 10, 64)
	typ := ItemType(v.Get("type"))
	if !typ.Valid() {
		typ = ""
	}
	region := v.Get("region")
	if !regionPattern.MatchString(region) {
		region = ""
	}
	d := listData{Q: q, Region: region, Types: typeOptions(typ), Online: v.Get("online"), Instant: v.Get("instant"),
		Departments: m.departmentOptions(r, dept, nil)}
	items, total, err := m.List(r.Context(), Query{Q: q, DepartmentID: dept, Type: typ, RegionCode: region,
		Online: boolParam(d.Online), Instant: boolParam(d.Instant), Limit: pageSize, Offset: web.Offset(r, pageSize)})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Items, d.Pager = items, web.Paginate(r, total, pageSize)
	m.s.Render(w, r, "catalog/list.html", d)
}

// guideData is what the guide and the notice render.
type guideData struct {
	Item    *Item
	Classes []classView
	Rows    []materialView
}

// materialView is a material with its number in the list.
type materialView struct {
	N int
	Material
}

type classView struct {
	Class         MaterialClass
	Name, Explain string
}

func guide(it *Item) guideData {
	d := guideData{Item: it}
	for i, mat := range it.Materials {
		d.Rows = append(d.Rows, materialView{N: i + 1, Material: mat})
	}
	for _, c := range MaterialClasses {
		for _, mat := range it.Materials {
			if mat.Class == c {
				d.Classes = append(d.Classes, classView{Class: c, Name: c.Name(), Explain: c.Explain()})
				break
			}
		}
	}
	return d
}

func (m *Module) guidePage(w http.ResponseWriter, r *http.Request) {
	it, err := m.Published(r.Context(), r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "catalog/guide.html", guide(it))
}

func (m *Module) noticePage(w http.ResponseWriter, r *http.Request) {
	it, err := m.Published(r.Context(), r.PathValue("code"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "catalog/notice.html", guide(it))
}

// serveFile sends a stored template or example as a download. Files are
// named by their content hash, which cannot be guessed.
func (m *Module) serveFile(w http.ResponseWriter, r *http.Request) {
	data, ct, err := m.File(r.Context(), r.PathValue("sha"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	name := cleanFileName(r.URL.Query().Get("name"))
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// fail answers an error that leaves no page to show.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		m.s.Error(w, r, http.StatusNotFound, "web.problem.404")
	case errors.Is(err, auth.ErrForbidden):
		m.s.Error(w, r, http.StatusForbidden, "web.problem.403")
	case errors.Is(err, ErrConflict):
		m.s.Error(w, r, http.StatusConflict, "catalog.error.conflict")
	case errors.Is(err, ErrState):
		m.s.Error(w, r, http.StatusConflict, "catalog.error.state")
	default:
		m.s.Logger().ErrorContext(r.Context(), "catalog", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "web.problem.500")
	}
}

// draftFromForm applies the basic fields of an edit form to base, keeping
// its materials and form fields. Numbers that do not parse are reported as
// field errors.
func draftFromForm(f url.Values, base Draft) (Draft, error) {
	d := base
	var p problems
	num := func(key string) int {
		s := strings.TrimSpace(f.Get(key))
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			p.Add(key, "请填写整数 (a whole number)")
		}
		return n
	}
	d.Code = f.Get("code")
	d.Name, d.ShortName = f.Get("name"), f.Get("short_name")
	if id, err := strconv.ParseInt(f.Get("department_id"), 10, 64); err == nil {
		d.DepartmentID = id
	} else {
		d.DepartmentID = 0
	}
	d.Type = ItemType(f.Get("type"))
	d.LegalBasis, d.Conditions, d.ReviewStandard = f.Get("legal_basis"), f.Get("conditions"), f.Get("review_standard")
	d.LegalLimitDays, d.PromisedLimitDays = num("legal_limit_days"), num("promised_limit_days")
	d.Kind = Kind(f.Get("kind"))
	fen, ok := parseYuan(f.Get("fee_yuan"))
	if !ok {
		p.Add("fee.fen", "收费金额格式不正确，如 12.50 (amount in yuan, e.g. 12.50)")
	}
	d.Fee = Fee{Fen: fen, Basis: f.Get("fee_basis")}
	d.Window = Window{Address: f.Get("window_address"), Hours: f.Get("window_hours"), Phone: f.Get("window_phone")}
	d.Online, d.CrossRegion, d.Commitment = f.Get("online") == "1", f.Get("cross_region") == "1", f.Get("commitment") == "1"
	d.ScopeRegions = strings.FieldsFunc(f.Get("scope_regions"), func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '、' })
	d.CertificateType = f.Get("certificate_type")
	d.Rule = nil
	if e := strings.TrimSpace(f.Get("rule_expr")); e != "" {
		d.Rule = &ApprovalRule{Expr: e}
		if base.Rule != nil {
			d.Rule.Examples = base.Rule.Examples
		}
	}
	return d, p.Err()
}

// parseYuan parses an amount in yuan with at most two decimals into fen.
func parseYuan(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	y, err1 := strconv.ParseInt(whole, 10, 64)
	c, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || y < 0 || y > 1e9 {
		return 0, false
	}
	return y*100 + c, true
}
