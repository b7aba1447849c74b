package open311

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// request is one service request as GET shows it: no caller data.
type request struct {
	XMLName           xml.Name `xml:"request" json:"-"`
	ID                string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"`
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	Description       string   `xml:"description" json:"description"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string   `xml:"service_notice" json:"service_notice"`
	Requested         string   `xml:"requested_datetime" json:"requested_datetime"`
	Updated           string   `xml:"updated_datetime" json:"updated_datetime"`
	Expected          string   `xml:"expected_datetime" json:"expected_datetime"`
	Address           string   `xml:"address" json:"address"`
	AddressID         string   `xml:"address_id" json:"address_id"`
	Zipcode           string   `xml:"zipcode" json:"zipcode"`
	Lat               *float64 `xml:"lat,omitempty" json:"lat,omitempty"`
	Long              *float64 `xml:"long,omitempty" json:"long,omitempty"`
	MediaURL          string   `xml:"media_url" json:"media_url"`
}

// reader reads orders for the public: the system actor, whose view the
// request mapping then reduces to what the public may see.
var reader = auth.System()

// names caches, for one answer, the names of departments and regions.
type names map[string]string

// view maps o to what the public sees of it. The caller has checked
// o.Public. The description is the order's text with personal numbers
// masked (pii.MaskText); the address of a private matter (privateMatter)
// is coarsened to its street and its position left out, and the position of
// a public place is rounded to about ten metres.
func (m *Module) view(ctx context.Context, o *hotline.Order, ns names) request {
	status := "closed"
	if o.Open() {
		status = "open"
	}
	c, _ := m.d.Hotline.Category(o.CategoryCode)
	rq := request{ID: o.Number, Status: status, StatusNotes: o.Status.Name(), ServiceName: c.Name,
		ServiceCode: o.CategoryCode, Requested: W3C(o.CreatedAt), Updated: W3C(o.UpdatedAt),
		Description: pii.MaskText(o.Content)}
	if m.privateMatter(o.CategoryCode) {
		rq.Address = Street(o.Address, m.regionName(ctx, o.RegionCode, ns))
	} else {
		rq.Address = pii.MaskText(o.Address)
		if o.Lat != nil && o.Lng != nil {
			la, lo := round4(*o.Lat), round4(*o.Lng)
			rq.Lat, rq.Long = &la, &lo
		}
	}
	if o.LeadDept != 0 {
		rq.AgencyResponsible = m.d.Org.DepartmentName(ctx, o.LeadDept)
	}
	switch o.Status {
	case hotline.StatusMerged:
		rq.ServiceNotice = "与其他市民反映的同一问题合并办理 (handled together with a duplicate report)"
	}
	return rq
}

// round4 rounds a coordinate to four decimals (about ten metres).
func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// regionName returns the name of region code, cached in ns.
func (m *Module) regionName(ctx context.Context, code string, ns names) string {
	if n, ok := ns[code]; ok {
		return n
	}
	n := ""
	if r, err := m.d.Org.GetRegion(ctx, code); err == nil {
		n = r.Name
	}
	ns[code] = n
	return n
}

// DefaultPublicPlaces are the category code prefixes whose matters happen
// in public places (street vending, refuse, outdoor advertising, roads and
// street lights, restaurants and shops, transport, construction noise, air
// pollution): their addresses are shown as given. Every other matter is a
// private one (a home, a property, an employer, a hospital, a
// neighbour's noise, an enterprise): its address is coarsened to the street.
var DefaultPublicPlaces = []string{"0101", "0104", "0201", "0202", "04", "050101", "0502"}

// privateMatter reports whether the address of an order in category code
// is private (see DefaultPublicPlaces). A category added later is private
// until configured otherwise.
func (m *Module) privateMatter(code string) bool {
	for _, p := range m.d.PublicPlaces {
		if strings.HasPrefix(code, p) {
			return false
		}
	}
	return true
}

// Street coarsens an address to its street: "临江区江滨路88号3单元502室"
// becomes "临江区江滨路". An address naming no street before its first
// number or housing estate ("临江区春江花园5栋") comes out as region, the
// name of the order's district: coarser rather than too precise.
func Street(address, region string) string {
	cut := strings.IndexFunc(address, unicode.IsDigit)
	if cut < 0 {
		cut = len(address)
	}
	for _, m := range estateWords {
		for from := 0; from < cut; {
			i := strings.Index(address[from:], m)
			if i < 0 {
				break
			}
			i += from
			if !hasStreetSuffix(address[i+len(m):]) { // "花园路" is a street
				cut = min(cut, i)
				break
			}
			from = i + len(m)
		}
	}
	head := address[:cut]
	end := -1
	for _, suffix := range streetSuffixes {
		if i := strings.LastIndex(head, suffix); i >= 0 && i+len(suffix) > end {
			end = i + len(suffix)
		}
	}
	if end < 0 {
		return region
	}
	return strings.TrimSpace(head[:end])
}

// estateWords start the part of an address below the street: a housing
// estate, a building, a flat.
var estateWords = []string{"号", "栋", "幢", "单元", "室", "小区", "花园", "公寓", "大厦", "新村", "苑", "名邸", "家园", "#", "(", "（"}

// streetSuffixes end the name of a street.
var streetSuffixes = []string{"大道", "大街", "胡同", "路", "街", "巷", "弄", "道"}

func hasStreetSuffix(s string) bool {
	for _, x := range streetSuffixes {
		if strings.HasPrefix(s, x) {
			return true
		}
	}
	return false
}

// writeRequests writes the spec's list of requests.
func writeRequests(w http.ResponseWriter, f string, rs []request) {
	if f == "xml" {
		write(w, f, http.StatusOK, struct {
			XMLName  xml.Name  `xml:"service_requests"`
			Requests []request `xml:"request"`
		}{Requests: rs})
		return
	}
	if rs == nil {
		rs = []request{}
	}
	write(w, f, http.StatusOK, rs)
}

// Limits of GET requests, as the spec suggests: 90 days by default, at
// most 1000 requests in one answer.
const (
	defaultWindow = 90 * 24 * time.Hour
	maxRequests   = 1000
)

// list answers GET requests: the public orders only (hotline.Filter.Public),
// newest first, within the spec's window and limit. Beyond the spec, page
// (from 1) and page_size (at most 1000, default 1000) page through a
// window; the answer carries X-Total-Count and, when there is more, a Link
// header to the next page.
func (m *Module) list(w http.ResponseWriter, r *http.Request, f string) {
	ctx := r.Context()
	q := r.URL.Query()
	ns := names{}
	var out []request
	if ids := strings.TrimSpace(q.Get("service_request_id")); ids != "" {
		// The spec: with ids, every other filter is ignored.
		for _, id := range strings.Split(ids, ",") {
			if len(out) == maxRequests {
				break
			}
			o, err := m.d.Hotline.GetByNumber(ctx, reader, strings.TrimSpace(id))
			if err == nil && o.Public() {
				out = append(out, m.view(ctx, o, ns))
			}
		}
		writeRequests(w, f, out)
		return
	}
	now := m.d.Now()
	fl := hotline.Filter{CategoryCode: strings.TrimSpace(q.Get("service_code")), Public: true}
	if fl.CategoryCode != "" {
		if c, ok := m.d.Hotline.Category(fl.CategoryCode); !ok || c.Level() != 3 {
			fail(w, f, http.StatusBadRequest, "service_code not found (无此服务)")
			return
		}
	}
	page, err1 := positive(q.Get("page"), 1, 0)
	size, err2 := positive(q.Get("page_size"), maxRequests, maxRequests)
	if err1 != nil || err2 != nil {
		fail(w, f, http.StatusBadRequest, fmt.Sprintf("page must be a whole number from 1, page_size from 1 to %d (分页参数错误)", maxRequests))
		return
	}
	var err error
	if fl.From, err = w3cParam(q.Get("start_date")); err != nil {
		fail(w, f, http.StatusBadRequest, "start_date must be a W3C date-time, e.g. 2026-10-01T00:00:00+08:00")
		return
	}
	if fl.To, err = w3cParam(q.Get("end_date")); err != nil {
		fail(w, f, http.StatusBadRequest, "end_date must be a W3C date-time, e.g. 2026-10-31T23:59:59+08:00")
		return
	}
	switch {
	case fl.From.IsZero() && fl.To.IsZero():
		fl.From = now.Add(-defaultWindow)
	case fl.From.IsZero():
		fl.From = fl.To.Add(-defaultWindow)
	}
	if !fl.To.IsZero() {
		fl.To = fl.To.Add(time.Microsecond) // end_date is inclusive
	}
	if s := strings.TrimSpace(q.Get("status")); s != "" {
		wantOpen, wantClosed := false, false
		for _, v := range strings.Split(s, ",") {
			switch strings.TrimSpace(v) {
			case "open":
				wantOpen = true
			case "closed":
				wantClosed = true
			default:
				fail(w, f, http.StatusBadRequest, "status must be open or closed")
				return
			}
		}
		if wantOpen != wantClosed {
			fl.Open = &wantOpen
		}
	}
	// hotline.List pages by keyset, at most 500 a call: skip the pages
	// before the one asked for (the 90-day window bounds the walk), then
	// collect up to size orders.
	skip := (page - 1) * size
	var count int
	more := false
	for len(out) < size {
		fl.Limit = min(500, size-len(out))
		if skip > 0 {
			fl.Limit = min(500, skip)
		}
		orders, pg, err := m.d.Hotline.List(ctx, reader, fl)
		if err != nil {
			fail(w, f, http.StatusInternalServerError, "internal error")
			return
		}
		count = pg.Count
		if skip > 0 {
			skip -= len(orders)
		} else {
			for i := range orders {
				out = append(out, m.view(ctx, &orders[i], ns))
			}
		}
		if pg.Next.IsZero() {
			break
		}
		fl.After = pg.Next
		more = len(out) >= size
	}
	// The count is exact up to store.CountBound; past it the header is left out.
	if count <= store.CountBound {
		w.Header().Set("X-Total-Count", strconv.Itoa(count))
	}
	if more {
		next := *r.URL
		v := next.Query()
		v.Set("page", strconv.Itoa(page+1))
		v.Set("page_size", strconv.Itoa(size))
		next.RawQuery = v.Encode()
		w.Header().Set("Link", "<"+m.base(r)+next.RequestURI()+`>; rel="next"`)
	}
	writeRequests(w, f, out)
}

// positive reads a whole number from 1 (at most max when max > 0); empty
// is def.
func positive(s string, def, max int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || (max > 0 && n > max) {
		return 0, errors.New("out of range")
	}
	return n, nil
}

// w3cParam reads a W3C (RFC 3339) date-time; empty is the zero time.
func w3cParam(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", s, cst)
}

func (m *Module) request(w http.ResponseWriter, r *http.Request) {
	id, f, ok := format(r.PathValue("file"))
	if !ok {
		fail(w, f, http.StatusNotFound, "格式须为 .json 或 .xml (format must be .json or .xml)")
		return
	}
	o, err := m.d.Hotline.GetByNumber(r.Context(), reader, id)
	if errors.Is(err, hotline.ErrNotFound) || (err == nil && !o.Public()) {
		// An order the public may not see answers as one that does not exist.
		fail(w, f, http.StatusNotFound, "service_request_id "+id+" not found")
		return
	}
	if err != nil {
		fail(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	rq := m.view(r.Context(), o, names{})
	if o.Open() && o.Status != hotline.StatusMerged {
		if in, err := m.d.Hotline.Instance(r.Context(), reader, o.ID); err == nil {
			due := in.StateDueAt
			if !in.DueAt.IsZero() && (due.IsZero() || in.DueAt.Before(due)) {
				due = in.DueAt
			}
			rq.Expected = W3C(due)
		}
	}
	writeRequests(w, f, []request{rq})
}

func (m *Module) token(w http.ResponseWriter, r *http.Request) {
	tok, f, ok := format(r.PathValue("file"))
	if !ok {
		fail(w, f, http.StatusNotFound, "格式须为 .json 或 .xml (format must be .json or .xml)")
		return
	}
	o, err := m.d.Hotline.GetByNumber(r.Context(), reader, tok)
	if err != nil || !o.Public() {
		fail(w, f, http.StatusNotFound, "token "+tok+" not found")
		return
	}
	type item struct {
		XMLName xml.Name `xml:"request" json:"-"`
		ID      string   `xml:"service_request_id" json:"service_request_id"`
		Token   string   `xml:"token" json:"token"`
	}
	items := []item{{ID: o.Number, Token: tok}}
	if f == "xml" {
		write(w, f, http.StatusOK, struct {
			XMLName xml.Name `xml:"service_requests"`
			Items   []item   `xml:"request"`
		}{Items: items})
		return
	}
	write(w, f, http.StatusOK, items)
}
