// Package open311 serves the 12345 hotline through Open311 GeoReport v2
// (http://wiki.open311.org/GeoReport_v2), the international open standard
// for service requests, at /open311/v2: discovery, services (our request
// categories), service definitions, POST and GET of requests, single
// requests and tokens, each in JSON and XML.
//
// Mapping to the hotline:
//   - service_code is a category code of the third level (e.g. "010101");
//     group is its parent's name.
//   - service_request_id is the work order's number, a string. A POST
//     returns it at once, and also as the token.
//   - status is "open" or "closed" from hotline.Order.Open.
//   - requests are created with hotline.ChannelOpen311 through the
//     hotline's Intake, as the machine user owning the api_key (an API
//     token of a user with the hotline_operator role).
//   - The region of a new request is chosen by Region: the first Area whose
//     box holds lat/long; else the first region under the city whose name
//     appears in address_string; else the city itself.
//   - The request type comes from attribute[request_type]; by default a
//     market-regulation matter (codes 02xxxx) is a complaint (投诉) and
//     anything else a request for help (求助).
//   - GET shows only the orders the public may see (hotline.Order.Public:
//     never a confidential one), 90 days and at most 1000 a page by
//     default, with page and page_size to go further. It never carries the
//     caller's name, phone, e-mail or account; personal numbers in the
//     description are masked (pii.MaskText); the address of a private
//     matter is coarsened to its street and its position left out.
//   - The discovery document (/open311/discovery.json and
//     /open311/v2/discovery.json) gives the endpoint as an absolute URL.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/web"
)

// Prefix is where the endpoint lives.
const Prefix = "/open311/v2"

// Area maps a latitude/longitude box to a region (a district).
type Area struct {
	RegionCode       string
	MinLat, MaxLat   float64
	MinLong, MaxLong float64
}

// Deps are what the endpoint uses.
type Deps struct {
	Hotline *hotline.Module
	Auth    *auth.Service // checks api_key
	Org     *org.Service  // region and department names
	// CityRegion is the region a request falls in when neither its
	// position nor its address names a district (e.g. "990100"). Empty
	// means the top-most region stored when the request comes in.
	CityRegion string
	// Areas map positions to districts; empty means by address only.
	Areas []Area
	// Contact and KeyService are shown by discovery.
	Contact    string
	KeyService string
	// BaseURL is the public address the discovery document points to, e.g.
	// "https://12345.yunlan.gov.cn"; empty means the address the request
	// came to (its Host, and its scheme as the web server sees it).
	BaseURL string
	// PublicPlaces are the category code prefixes whose addresses the
	// public may read as given; nil means DefaultPublicPlaces.
	PublicPlaces []string
	Now          func() time.Time
}

// Module is the Open311 endpoint.
type Module struct {
	d Deps

	// regions remembers the region list for regionsTTL: every request
	// without a matching Area names its region from it, and reading and
	// scanning the whole table per request cost a tenth of intake's CPU.
	mu        sync.Mutex
	regions   []org.Region
	regionsAt time.Time
}

// regionsTTL bounds how long a new or renamed region takes to be used for
// choosing the region of new requests on this node.
const regionsTTL = 30 * time.Second

// allRegions returns every stored region, ordered by code, from the cache
// of regionsTTL.
func (m *Module) allRegions(ctx context.Context) ([]org.Region, error) {
	now := time.Now()
	m.mu.Lock()
	rs, at := m.regions, m.regionsAt
	m.mu.Unlock()
	if rs != nil && now.Sub(at) < regionsTTL {
		return rs, nil
	}
	rs, err := m.d.Org.ListRegions(ctx, "")
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.regions, m.regionsAt = rs, now
	m.mu.Unlock()
	return rs, nil
}

// New returns the endpoint.
func New(d Deps) (*Module, error) {
	if d.Hotline == nil || d.Auth == nil || d.Org == nil {
		return nil, errors.New("open311: Hotline, Auth and Org are required")
	}
	if d.CityRegion != "" && ids.ValidateRegionCode(d.CityRegion) != nil {
		return nil, errors.New("open311: CityRegion must be a 6-digit region code")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.PublicPlaces == nil {
		d.PublicPlaces = DefaultPublicPlaces
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	if d.Contact == "" {
		d.Contact = "12345政务服务便民热线 (12345 citizen hotline)"
	}
	if d.KeyService == "" {
		d.KeyService = "API密钥由热线管理员签发 (api keys are issued by the hotline administrators)"
	}
	return &Module{d: d}, nil
}

// Mount registers the endpoints. The POST passes the core's cross-origin
// check as the clients it is for send it: without cookies and without the
// Origin or Sec-Fetch-Site headers a browser would add; api_key is the
// credential.
func (m *Module) Mount(s *web.Server) error {
	// Text with control characters is refused by web before any handler;
	// Open311 clients get the refusal in the spec's error format.
	s.OnBadText("/open311/", func(w http.ResponseWriter, r *http.Request, field, msg string) {
		f := "json"
		if strings.HasSuffix(r.URL.Path, ".xml") {
			f = "xml"
		}
		fail(w, f, http.StatusUnprocessableEntity, field+": "+msg)
	})
	s.HandleFunc("GET /open311/{file}", m.discoveryAt)
	s.HandleFunc("GET "+Prefix+"/{file}", m.get)
	s.HandleFunc("POST "+Prefix+"/{file}", m.post)
	s.HandleFunc("GET "+Prefix+"/services/{file}", m.definition)
	s.HandleFunc("GET "+Prefix+"/requests/{file}", m.request)
	s.HandleFunc("GET "+Prefix+"/tokens/{file}", m.token)
	return nil
}

// Nav adds no links: Open311 is for machines.
func (m *Module) Nav(*auth.Actor) []web.NavLink { return nil }

// format splits "name.json" into name and format.
func format(file string) (name, f string, ok bool) {
	name, f, ok = strings.Cut(file, ".")
	if !ok || (f != "json" && f != "xml") {
		return file, "json", false
	}
	return name, f, true
}

// apiError is one error of the spec's error body.
type apiError struct {
	XMLName     xml.Name `xml:"error" json:"-"`
	Code        int      `xml:"code" json:"code"`
	Description string   `xml:"description" json:"description"`
}

// fail writes the spec's error body with the HTTP status.
func fail(w http.ResponseWriter, f string, status int, desc string) {
	errs := []apiError{{Code: status, Description: desc}}
	if f == "xml" {
		write(w, f, status, struct {
			XMLName xml.Name   `xml:"errors"`
			Errors  []apiError `xml:"error"`
		}{Errors: errs})
		return
	}
	write(w, f, status, errs)
}

// write encodes v as f with status.
func write(w http.ResponseWriter, f string, status int, v any) {
	if f == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(xml.Header))
		xml.NewEncoder(w).Encode(v)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (m *Module) get(w http.ResponseWriter, r *http.Request) {
	name, f, ok := format(r.PathValue("file"))
	switch {
	case !ok:
		fail(w, f, http.StatusNotFound, "格式须为 .json 或 .xml (format must be .json or .xml)")
	case name == "discovery":
		m.discovery(w, r, f)
	case name == "services":
		m.services(w, f)
	case name == "requests":
		m.list(w, r, f)
	default:
		fail(w, f, http.StatusNotFound, "no such endpoint")
	}
}

// discoveryAt serves the discovery document one level up, at
// /open311/discovery.json, where clients look for it first.
func (m *Module) discoveryAt(w http.ResponseWriter, r *http.Request) {
	name, f, ok := format(r.PathValue("file"))
	if !ok || name != "discovery" {
		fail(w, f, http.StatusNotFound, "no such endpoint")
		return
	}
	m.discovery(w, r, f)
}

func (m *Module) post(w http.ResponseWriter, r *http.Request) {
	name, f, ok := format(r.PathValue("file"))
	if !ok || name != "requests" {
		fail(w, f, http.StatusNotFound, "no such endpoint")
		return
	}
	m.create(w, r, f)
}

// W3C formats a time as the spec wants it, in China time with its offset.
func W3C(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format(time.RFC3339)
}

var cst = time.FixedZone("CST", 8*3600)

type endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

type discoveryDoc struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

// changeset is when this endpoint's behaviour last changed.
const changeset = "2026-10-01T00:00:00+08:00"

// base returns the absolute address clients reach the platform at: the
// configured BaseURL, else the request's scheme and Host. The scheme is the
// connection's own: X-Forwarded-Proto is not trusted, as there is no
// trusted-proxy setting (behind a TLS-terminating proxy, set --base-url).
func (m *Module) base(r *http.Request) string {
	if m.d.BaseURL != "" {
		return m.d.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (m *Module) discovery(w http.ResponseWriter, r *http.Request, f string) {
	write(w, f, http.StatusOK, discoveryDoc{Changeset: changeset, Contact: m.d.Contact, KeyService: m.d.KeyService,
		Endpoints: []endpoint{{Specification: "http://wiki.open311.org/GeoReport_v2", URL: m.base(r) + Prefix,
			Changeset: changeset, Type: "production", Formats: []string{"text/xml", "application/json"}}}})
}

type service struct {
	XMLName     xml.Name `xml:"service" json:"-"`
	Code        string   `xml:"service_code" json:"service_code"`
	Name        string   `xml:"service_name" json:"service_name"`
	Description string   `xml:"description" json:"description"`
	Metadata    bool     `xml:"metadata" json:"metadata"`
	Type        string   `xml:"type" json:"type"`
	Keywords    string   `xml:"keywords" json:"keywords"`
	Group       string   `xml:"group" json:"group"`
}

// Services returns the active third-level categories as Open311 services.
func (m *Module) servicesList() []service {
	var out []service
	for _, c := range m.d.Hotline.Categories() {
		if !c.Active || c.Level() != 3 {
			continue
		}
		parent, _ := m.d.Hotline.Category(c.ParentCode)
		path := m.d.Hotline.CategoryPath(c.Code)
		out = append(out, service{Code: c.Code, Name: c.Name, Description: path + " (" + c.NameEn + ")",
			Metadata: true, Type: "realtime", Keywords: strings.Join(strings.Split(path, " / "), ",") + "," + c.NameEn,
			Group: parent.Name})
	}
	return out
}

func (m *Module) services(w http.ResponseWriter, f string) {
	list := m.servicesList()
	if f == "xml" {
		write(w, f, http.StatusOK, struct {
			XMLName  xml.Name  `xml:"services"`
			Services []service `xml:"service"`
		}{Services: list})
		return
	}
	write(w, f, http.StatusOK, list)
}

type value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

type attribute struct {
	Variable            bool    `xml:"variable" json:"variable"`
	Code                string  `xml:"code" json:"code"`
	Datatype            string  `xml:"datatype" json:"datatype"`
	Required            bool    `xml:"required" json:"required"`
	DatatypeDescription string  `xml:"datatype_description" json:"datatype_description"`
	Order               int     `xml:"order" json:"order"`
	Description         string  `xml:"description" json:"description"`
	Values              []value `xml:"values>value" json:"values,omitempty"`
}

type definitionDoc struct {
	XMLName    xml.Name    `xml:"service_definition" json:"-"`
	Code       string      `xml:"service_code" json:"service_code"`
	Attributes []attribute `xml:"attributes>attribute" json:"attributes"`
}

// requestTypes are the types a citizen may choose through Open311
// (enterprise appeals need a credit code and go through the hotline's own
// forms; praise is not a request).
var requestTypes = []hotline.Type{hotline.TypeConsult, hotline.TypeHelp, hotline.TypeComplaint,
	hotline.TypeReport, hotline.TypeSuggestion}

// defaultType is a category's type when attribute[request_type] is absent.
func defaultType(code string) hotline.Type {
	if strings.HasPrefix(code, "02") {
		return hotline.TypeComplaint
	}
	return hotline.TypeHelp
}

func (m *Module) definition(w http.ResponseWriter, r *http.Request) {
	code, f, ok := format(r.PathValue("file"))
	if !ok {
		fail(w, f, http.StatusNotFound, "格式须为 .json 或 .xml (format must be .json or .xml)")
		return
	}
	c, exists := m.d.Hotline.Category(code)
	if !exists || !c.Active || c.Level() != 3 {
		fail(w, f, http.StatusNotFound, "service_code "+code+" not found (无此服务)")
		return
	}
	var types []value
	for _, t := range requestTypes {
		types = append(types, value{Key: string(t), Name: t.Name()})
	}
	write(w, f, http.StatusOK, definitionDoc{Code: code, Attributes: []attribute{
		{Variable: true, Code: "request_type", Datatype: "singlevaluelist", Required: false, Order: 1,
			DatatypeDescription: "诉求类型，缺省为" + defaultType(code).Name() + " (request type; default " + string(defaultType(code)) + ")",
			Description:         "诉求类型 (type of request)", Values: types},
		{Variable: true, Code: "urgent", Datatype: "singlevaluelist", Required: false, Order: 2,
			DatatypeDescription: "危及生命财产安全时选 true (true when life or property is in danger)",
			Description:         "紧急 (urgent)", Values: []value{{"false", "否 (no)"}, {"true", "是 (yes)"}}},
	}})
}

// maxDescription is the longest description accepted (the hotline's limit).
const maxDescription = 4000

func (m *Module) create(w http.ResponseWriter, r *http.Request, f string) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(w, f, http.StatusBadRequest, "请求体无法解析 (cannot parse the form)")
		return
	}
	form := r.PostForm
	// GeoReport v2: a missing or invalid api_key is 403.
	key := strings.TrimSpace(form.Get("api_key"))
	if key == "" {
		fail(w, f, http.StatusForbidden, "api_key required (缺少 api_key)")
		return
	}
	a, err := m.d.Auth.Authenticate(r.Context(), key)
	if err != nil || a == nil || !a.Has(auth.RoleOperator) {
		fail(w, f, http.StatusForbidden, "api_key invalid or not allowed to submit requests (api_key 无效)")
		return
	}
	code := strings.TrimSpace(form.Get("service_code"))
	if c, ok := m.d.Hotline.Category(code); !ok || !c.Active || c.Level() != 3 {
		fail(w, f, http.StatusBadRequest, "service_code not found (无此服务)")
		return
	}
	n := hotline.NewOrder{Channel: hotline.ChannelOpen311, CategoryCode: code, Type: defaultType(code),
		Content: strings.TrimSpace(form.Get("description")), CallerPhone: form.Get("phone"),
		CallerName: strings.TrimSpace(form.Get("last_name") + form.Get("first_name")),
		Address:    strings.TrimSpace(form.Get("address_string"))}
	if v := form.Get("attribute[request_type]"); v != "" {
		if !contains(requestTypes, hotline.Type(v)) {
			fail(w, f, http.StatusBadRequest, "attribute[request_type] must be one of consult, help, complaint, report, suggestion")
			return
		}
		n.Type = hotline.Type(v)
	}
	n.Urgent = form.Get("attribute[urgent]") == "true"
	lat, lng := form.Get("lat"), form.Get("long")
	if (lat == "") != (lng == "") {
		fail(w, f, http.StatusBadRequest, "lat and long must be given together (经纬度须同时提供)")
		return
	}
	if lat != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(lng, 64)
		if err1 != nil || err2 != nil {
			fail(w, f, http.StatusBadRequest, "lat and long must be decimal degrees (经纬度格式错误)")
			return
		}
		n.Lat, n.Lng = &la, &lo
		if n.Address == "" {
			n.Address = fmt.Sprintf("经纬度 %.6f, %.6f", la, lo)
		}
	}
	if n.Address == "" {
		fail(w, f, http.StatusBadRequest, "a location is required: lat and long, or address_string (须提供位置)")
		return
	}
	if u := strings.TrimSpace(form.Get("media_url")); u != "" && len(n.Content)+len(u) < maxDescription {
		n.Content += "\n附件 (media): " + u
	}
	if id := strings.TrimSpace(form.Get("device_id")); id != "" {
		n.SourceRef = "open311:" + cut(id, 56)
	} else {
		n.SourceRef = "open311"
	}
	n.RegionCode = m.Region(r.Context(), n.Lat, n.Lng, n.Address)
	o, err := m.d.Hotline.Receive(r.Context(), a, n)
	if err != nil {
		var msgs []string
		for _, fe := range hotline.FieldErrors(err) {
			msgs = append(msgs, openName(fe.Name)+": "+fe.Message)
		}
		switch {
		case len(msgs) > 0:
			fail(w, f, http.StatusBadRequest, strings.Join(msgs, "; "))
		case errors.Is(err, auth.ErrForbidden):
			fail(w, f, http.StatusForbidden, "api_key not allowed to submit requests in this region")
		default:
			fail(w, f, http.StatusInternalServerError, "internal error")
		}
		return
	}
	type created struct {
		XMLName   xml.Name `xml:"request" json:"-"`
		ID        string   `xml:"service_request_id" json:"service_request_id"`
		Token     string   `xml:"token" json:"token"`
		Notice    string   `xml:"service_notice" json:"service_notice"`
		AccountID string   `xml:"account_id" json:"account_id"`
	}
	c := created{ID: o.Number, Token: o.Number, AccountID: cut(strings.TrimSpace(form.Get("account_id")), 64),
		Notice: "已受理，工单编号 " + o.Number + "；可凭编号和来电号码在12345网站查询办理进度 (received; track it by its number)"}
	if f == "xml" {
		write(w, f, http.StatusCreated, struct {
			XMLName xml.Name  `xml:"service_requests"`
			Items   []created `xml:"request"`
		}{Items: []created{c}})
		return
	}
	write(w, f, http.StatusCreated, []created{c})
}

// openName returns the Open311 name of a hotline input field.
func openName(field string) string {
	switch field {
	case "content":
		return "description"
	case "caller_phone":
		return "phone"
	case "caller_name":
		return "first_name"
	case "address":
		return "address_string"
	case "lat":
		return "lat"
	case "lng":
		return "long"
	case "type":
		return "attribute[request_type]"
	case "category_code":
		return "service_code"
	}
	return field
}

// Region chooses the region of a new request: the first Area holding the
// position; else the first region under the city whose name the address
// contains; else the city.
func (m *Module) Region(ctx context.Context, lat, lng *float64, address string) string {
	if lat != nil && lng != nil {
		for _, a := range m.d.Areas {
			if *lat >= a.MinLat && *lat <= a.MaxLat && *lng >= a.MinLong && *lng <= a.MaxLong {
				return a.RegionCode
			}
		}
	}
	city := m.city(ctx)
	if address != "" {
		if rs, err := m.allRegions(ctx); err == nil {
			for _, r := range rs {
				if r.Code != city && r.Name != "" && within(r.Code, city) && strings.Contains(address, r.Name) {
					return r.Code
				}
			}
		}
	}
	return city
}

// city returns the configured city region, or the top-most stored region.
func (m *Module) city(ctx context.Context) string {
	if m.d.CityRegion != "" {
		return m.d.CityRegion
	}
	rs, err := m.allRegions(ctx)
	if err != nil {
		return ""
	}
	top := ""
	for _, r := range rs {
		if top == "" || r.Level < ids.RegionLevel(top) {
			top = r.Code
		}
	}
	return top
}

// within reports whether region code lies within region under (itself
// included), by the prefix its level keeps: 2 digits for a province, 4 for
// a city, all 6 for a county; an empty under holds every region.
func within(code, under string) bool {
	switch {
	case under == "":
		return true
	case strings.HasSuffix(under, "0000"):
		return strings.HasPrefix(code, under[:2])
	case strings.HasSuffix(under, "00"):
		return strings.HasPrefix(code, under[:4])
	}
	return code == under
}

func contains[T comparable](xs []T, x T) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	for len(string(r)) > n {
		r = r[:len(r)-1]
	}
	return string(r)
}
