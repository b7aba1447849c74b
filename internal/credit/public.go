package credit

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/web"
)

// Register is what the module reads of the register of businesses
// (entity.Service): an entry, and a search by name or code.
type Register interface {
	Get(ctx context.Context, a *auth.Actor, uscc string) (*entity.Entity, error)
	Search(ctx context.Context, a *auth.Actor, q, after string, limit int) ([]entity.Entity, int, error)
}

// AllowPublic counts one public query of the client address against the
// limit of 信用公示, in the database so that every node shares the limit,
// and reports whether it is within the limit or how long to wait. Other
// modules' public pages over the credit file (the visit module's 监管宝
// page) share the limit, so they cannot be used to scrape around it. A
// failed count lets the query through: the limit bounds scraping, it is no
// lock.
func (m *Module) AllowPublic(ctx context.Context) (bool, time.Duration) {
	ok, wait, err := m.public.Allow(ctx, web.ClientAddr(ctx), m.d.Now())
	if err != nil {
		if m.s != nil {
			m.s.Logger().ErrorContext(ctx, "credit public limit", "err", err)
		}
		return true, 0
	}
	return ok, wait
}

// throttle answers 429 with Retry-After when the client address has made
// too many public queries, and reports whether it did.
func (m *Module) throttle(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := m.AllowPublic(r.Context())
	if ok {
		return false
	}
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	m.s.RenderStatus(w, r, http.StatusTooManyRequests, "credit/public.html", publicData{TooMany: true, RetryAfter: secs})
	return true
}

// PublicRecord is a record as the public sees it: no internal ids, content
// with personal numbers masked.
type PublicRecord struct {
	Kind        Kind     `json:"kind"`
	KindName    string   `json:"kind_name"`
	KindNameEn  string   `json:"kind_name_en,omitempty"`
	Department  string   `json:"department"`
	DecisionNo  string   `json:"decision_no"`
	Decision    string   `json:"decision_date"`
	PublishedOn string   `json:"published_on"`
	PublicUntil *string  `json:"public_until"`
	LegalBasis  string   `json:"legal_basis,omitempty"`
	Content     string   `json:"content,omitempty"`
	Penalty     *Penalty `json:"penalty,omitempty"`
}

// PublicFile is what 信用公示 shows of a business on a day: its register
// entry (never the legal representative's number), the records public
// that day and the listings in force. Risk classes are never part of it.
type PublicFile struct {
	USCC     string         `json:"uscc"`
	Name     string         `json:"name"`
	Type     string         `json:"type,omitempty"`
	LegalRep string         `json:"legal_representative,omitempty"`
	Status   string         `json:"status,omitempty"`
	Address  string         `json:"address,omitempty"`
	Founded  string         `json:"established_on,omitempty"`
	AsOf     string         `json:"as_of"`
	Records  []PublicRecord `json:"records"`
	Abnormal []Abnormal     `json:"abnormal"`
	Serious  []Serious      `json:"serious"`
	// Known says whether the platform knows the business at all.
	Known bool `json:"known"`
}

// PublicFileOf returns the public file of business uscc as of day asOf
// (zero: today): anyone may read it.
func (m *Module) PublicFileOf(ctx context.Context, uscc string, asOf calendar.Date) (*PublicFile, error) {
	st, err := m.StateOf(ctx, auth.System(), uscc, asOf)
	if err != nil {
		return nil, err
	}
	f := &PublicFile{USCC: st.USCC, AsOf: st.AsOf, Records: []PublicRecord{}, Abnormal: []Abnormal{}, Serious: []Serious{}}
	if m.d.Register != nil {
		if e, err := m.d.Register.Get(ctx, auth.System(), st.USCC); err == nil {
			f.Known, f.Name, f.Type, f.LegalRep, f.Status, f.Address, f.Founded = true, e.Name, e.Type, e.LegalRep, e.Status,
				e.Address, e.EstablishedOn
		}
	}
	for _, r := range st.Records {
		f.Known = true
		if !r.Public {
			continue
		}
		dept := "平台"
		if r.DepartmentID != 0 {
			dept = m.d.Org.DepartmentName(ctx, r.DepartmentID)
		}
		f.Records = append(f.Records, PublicRecord{Kind: r.Kind, KindName: m.d.Rules.Kinds[r.Kind].Name, KindNameEn: m.d.Rules.Kinds[r.Kind].NameEn,
			Department: dept, DecisionNo: r.DecisionNo, Decision: r.DecisionDate,
			PublishedOn: deref(r.PublishedOn), PublicUntil: r.PublicUntil, LegalBasis: r.LegalBasis, Content: r.Content,
			Penalty: r.Penalty})
	}
	for _, ab := range st.Abnormal {
		f.Known = true
		if ab.Active {
			f.Abnormal = append(f.Abnormal, ab)
		}
	}
	for _, s := range st.Serious {
		f.Known = true
		if s.Active {
			f.Serious = append(f.Serious, s)
		}
	}
	return f, nil
}

// publicData is what the public query pages render.
type publicData struct {
	Q          string
	Results    []entity.Entity
	Pager      web.Pager
	Searched   bool
	File       *PublicFile
	TooMany    bool
	RetryAfter int
	Error      string
}

// publicSearch is 信用公示's search: anonymous, by name or code, limited
// per client address.
func (m *Module) publicSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	d := publicData{Q: q}
	if q == "" {
		m.s.Render(w, r, "credit/public.html", d)
		return
	}
	if m.throttle(w, r) {
		return
	}
	if code := ids.NormalizeUSCC(q); ids.ValidateUSCC(code) == nil {
		http.Redirect(w, r, "/credit/public/"+code, http.StatusSeeOther)
		return
	}
	after := r.URL.Query().Get("after")
	list, count, err := m.d.Register.Search(r.Context(), auth.System(), q, after, pageSize+1)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	next := ""
	if len(list) > pageSize {
		list = list[:pageSize]
		next = list[len(list)-1].USCC
	}
	d.Results, d.Searched, d.Pager = list, true, web.KeysetPager(r, "after", count, next)
	m.s.Render(w, r, "credit/public.html", d)
}

// publicFile is a business's public credit file as of today.
func (m *Module) publicFile(w http.ResponseWriter, r *http.Request) {
	if m.throttle(w, r) {
		return
	}
	// As of a past day (?as_of=YYYY-MM-DD): what was public then, as the
	// API answers it.
	var asOf calendar.Date
	if q := strings.TrimSpace(r.URL.Query().Get("as_of")); q != "" {
		d, err := calendar.ParseDate(q)
		if err != nil || d.After(m.today()) {
			m.s.Error(w, r, http.StatusBadRequest, "credit.error.as_of")
			return
		}
		asOf = d
	}
	f, err := m.PublicFileOf(r.Context(), r.PathValue("uscc"), asOf)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if !f.Known {
		m.s.RenderStatus(w, r, http.StatusNotFound, "credit/public.html", publicData{Error: "credit.public.unknown"})
		return
	}
	m.s.Render(w, r, "credit/public_file.html", publicData{File: f})
}
