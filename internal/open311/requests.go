package open311

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
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
// request mapping then strips of every personal field.
var reader = auth.System()

// view maps o to its public form; depts caches department names.
func (m *Module) view(ctx context.Context, o *hotline.Order, depts map[int64]string) request {
	status := "closed"
	if o.Open() {
		status = "open"
	}
	c, _ := m.d.Hotline.Category(o.CategoryCode)
	rq := request{ID: o.Number, Status: status, StatusNotes: o.Status.Name(), ServiceName: c.Name,
		ServiceCode: o.CategoryCode, Requested: W3C(o.CreatedAt), Updated: W3C(o.UpdatedAt), Address: o.Address,
		Lat: o.Lat, Long: o.Lng}
	if !o.Confidential {
		rq.Description = maskPhones(o.Content)
	}
	if o.LeadDept != 0 {
		name, ok := depts[o.LeadDept]
		if !ok {
			if d, err := m.d.Org.GetDepartment(ctx, o.LeadDept); err == nil {
				name = d.Name
			}
			depts[o.LeadDept] = name
		}
		rq.AgencyResponsible = name
	}
	switch o.Status {
	case hotline.StatusMerged:
		rq.ServiceNotice = "与其他市民反映的同一问题合并办理 (handled together with a duplicate report)"
	case hotline.StatusTransferred:
		rq.ServiceNotice = "已转110处理 (transferred to the police, 110)"
	}
	return rq
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

// Limits of GET requests, as the spec suggests.
const (
	defaultWindow = 90 * 24 * time.Hour
	maxRequests   = 1000
)

func (m *Module) list(w http.ResponseWriter, r *http.Request, f string) {
	ctx := r.Context()
	q := r.URL.Query()
	depts := map[int64]string{}
	var out []request
	if ids := strings.TrimSpace(q.Get("service_request_id")); ids != "" {
		// The spec: with ids, every other filter is ignored.
		for _, id := range strings.Split(ids, ",") {
			if len(out) == maxRequests {
				break
			}
			o, err := m.d.Hotline.GetByNumber(ctx, reader, strings.TrimSpace(id))
			if err == nil {
				out = append(out, m.view(ctx, o, depts))
			}
		}
		writeRequests(w, f, out)
		return
	}
	now := m.d.Now()
	fl := hotline.Filter{CategoryCode: strings.TrimSpace(q.Get("service_code")), Limit: 500}
	if fl.CategoryCode != "" {
		if c, ok := m.d.Hotline.Category(fl.CategoryCode); !ok || c.Level() != 3 {
			fail(w, f, http.StatusBadRequest, "service_code not found (无此服务)")
			return
		}
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
	wantOpen, wantClosed := true, true
	if s := strings.TrimSpace(q.Get("status")); s != "" {
		wantOpen, wantClosed = false, false
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
	}
	switch {
	case wantOpen && !wantClosed:
		fl.Status = []hotline.Status{hotline.StatusNew, hotline.StatusDispatched, hotline.StatusHandling,
			hotline.StatusReplied, hotline.StatusMerged}
	case wantClosed && !wantOpen:
		fl.Status = []hotline.Status{hotline.StatusClosed, hotline.StatusVisited, hotline.StatusTransferred,
			hotline.StatusMerged}
	}
	for len(out) < maxRequests {
		orders, pg, err := m.d.Hotline.List(ctx, reader, fl)
		if err != nil {
			fail(w, f, http.StatusInternalServerError, "internal error")
			return
		}
		for i := range orders {
			o := &orders[i]
			if (o.Open() && wantOpen) || (!o.Open() && wantClosed) {
				out = append(out, m.view(ctx, o, depts))
			}
			if len(out) == maxRequests {
				break
			}
		}
		if pg.Next.IsZero() {
			break
		}
		fl.After = pg.Next
	}
	writeRequests(w, f, out)
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
	if errors.Is(err, hotline.ErrNotFound) {
		fail(w, f, http.StatusNotFound, "service_request_id "+id+" not found")
		return
	}
	if err != nil {
		fail(w, f, http.StatusInternalServerError, "internal error")
		return
	}
	rq := m.view(r.Context(), o, map[int64]string{})
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
	if err != nil {
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
