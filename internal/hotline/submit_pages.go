package hotline

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// submitBodyLimit bounds a submission's body: its photos and the form.
const submitBodyLimit = int64(MaxPhotos*MaxPhotoSize + 1<<20)

// mountSubmit registers the web submission pages: the form (public), the
// similar-requests hint, the submitter's pages of an order (signed in by
// id, anonymous by tracking token) and the photos.
func (m *Module) mountSubmit(s *web.Server) {
	up := web.MaxBytes(submitBodyLimit)
	own := s.Require(auth.RoleCitizen, auth.RoleEnterprise)
	s.Handle("GET /hotline/submit", http.HandlerFunc(m.submitPage))
	s.Handle("POST /hotline/submit", up(http.HandlerFunc(m.submitPost)))
	s.Handle("GET /hotline/submit/similar", http.HandlerFunc(m.similarFragment))
	s.Handle("GET /hotline/track/{token}", http.HandlerFunc(m.trackPage))
	s.Handle("POST /hotline/track/{token}/{action}", up(http.HandlerFunc(m.trackAction)))
	s.Handle("GET /hotline/track/{token}/photos/{n}", http.HandlerFunc(m.trackPhoto))
	s.Handle("GET /hotline/mine/{id}", own(http.HandlerFunc(m.trackPage)))
	s.Handle("POST /hotline/mine/{id}/{action}", own(up(http.HandlerFunc(m.trackAction))))
	s.Handle("GET /hotline/orders/{id}/photos", s.RequireActor(http.HandlerFunc(m.photosPage)))
	s.Handle("GET /hotline/orders/{id}/photos/{n}", s.RequireActor(http.HandlerFunc(m.orderPhoto)))
}

// catGroup is a field of the category tree with its matters, an optgroup
// of the category select.
type catGroup struct {
	Name  string
	Items []Category
}

// submitData is what the submission form renders.
type submitData struct {
	Form       url.Values
	Types      []Type
	Groups     []catGroup
	Regions    []org.Region
	Errors     map[string]string
	Similar    []Similar
	Signed     bool
	Enterprise bool
	USCC       string
	Limited    bool
	// MapTiles and MapAttribution configure the map; empty shows none.
	MapTiles, MapAttribution, MapCentre string
	MaxPhotos, MaxMiB                   int
}

// submitTypes are the request types a submitter may choose: enterprise
// appeals only for a business account.
func submitTypes(enterprise bool) []Type {
	out := []Type{TypeComplaint, TypeHelp, TypeConsult, TypeReport, TypeSuggestion, TypePraise}
	if enterprise {
		out = append([]Type{TypeAppealDishonesty, TypeAppealArrears, TypeAppealPolicy}, out...)
	}
	return out
}

func (m *Module) submitData(r *http.Request, form url.Values) submitData {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	d := submitData{Form: form, Errors: map[string]string{}, MapTiles: m.d.Config.MapTiles,
		MapAttribution: m.d.Config.MapAttribution, MapCentre: m.d.Config.MapCentre, MaxPhotos: MaxPhotos, MaxMiB: MaxPhotoSize >> 20}
	d.Signed = a != nil && a.HasAny(auth.RoleCitizen, auth.RoleEnterprise)
	d.Enterprise = d.Signed && a.Has(auth.RoleEnterprise)
	if d.Enterprise {
		d.USCC = a.USCC
	}
	d.Types = submitTypes(d.Enterprise)
	if d.Form == nil {
		d.Form = url.Values{"type": {string(d.Types[0])}, "public": {"1"}}
		if d.Signed {
			d.Form.Set("caller_name", a.Name)
		}
		prefill(d.Form, r.URL.Query())
	}
	lang := i18n.LangFrom(ctx)
	group := ""
	for _, c := range m.Categories() { // in code order: a field before its matters
		if !c.Active {
			continue
		}
		switch c.Level() {
		case 2:
			name := localName(lang, c)
			if top, ok := m.Category(parentOf(c.Code)); ok {
				name = localName(lang, top) + " / " + name
			}
			d.Groups = append(d.Groups, catGroup{Name: name})
			group = c.Code
		case 3:
			if group != "" && parentOf(c.Code) == group {
				c.Name = localName(lang, c)
				d.Groups[len(d.Groups)-1].Items = append(d.Groups[len(d.Groups)-1].Items, c)
			}
		}
	}
	if regions, err := m.d.Org.ListRegions(ctx, m.d.Config.CityRegion); err == nil {
		d.Regions = regions
	}
	return d
}

// localName is a category's name in lang.
func localName(lang string, c Category) string {
	if lang == "en" && c.NameEn != "" {
		return c.NameEn
	}
	return c.Name
}

// localMessage picks the language of a field error written "中文 (English)".
func localMessage(lang, msg string) string {
	i := strings.LastIndex(msg, " (")
	if i < 0 || !strings.HasSuffix(msg, ")") {
		return msg
	}
	if lang == "en" {
		return msg[i+2 : len(msg)-1]
	}
	return msg[:i]
}

// staffOnSubmit sends hotline staff, who take requests at intake, there.
func staffOnSubmit(a *auth.Actor) bool {
	return a != nil && !a.HasAny(auth.RoleCitizen, auth.RoleEnterprise)
}

func (m *Module) submitPage(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	if staffOnSubmit(a) {
		http.Redirect(w, r, "/hotline/intake", http.StatusSeeOther)
		return
	}
	m.renderSubmit(w, r, http.StatusOK, m.submitData(r, nil))
}

// renderSubmit renders the form; a configured tile server is added to the
// images the page may load.
func (m *Module) renderSubmit(w http.ResponseWriter, r *http.Request, status int, d submitData) {
	if t := m.d.Config.MapTiles; t != "" {
		if u, err := url.Parse(strings.NewReplacer("{s}", "a", "{z}", "0", "{x}", "0", "{y}", "0", "{r}", "").Replace(t)); err == nil && u.Host != "" {
			origin := u.Scheme + "://" + u.Host
			if strings.Contains(t, "{s}") {
				origin = u.Scheme + "://*." + strings.SplitN(u.Host, ".", 2)[len(strings.SplitN(u.Host, ".", 2))-1]
			}
			h := w.Header()
			h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "img-src 'self' data:",
				"img-src 'self' data: "+origin, 1))
		}
	}
	m.s.RenderStatus(w, r, status, "hotline/submit_form.html", d)
}

// parseUpload reads a form that may be multipart, refusing a body over its
// limit (413) and text fields holding control characters (422). It
// answers and returns false on refusal.
func (m *Module) parseUpload(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseMultipartForm(1 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if web.IsTooLarge(err) {
			m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
			return false
		}
		if err2 := r.ParseForm(); err2 != nil {
			if web.IsTooLarge(err2) {
				m.s.Error(w, r, http.StatusRequestEntityTooLarge, "")
				return false
			}
			m.s.Error(w, r, http.StatusBadRequest, "")
			return false
		}
	}
	if err := web.CheckForm(r); err != nil {
		m.s.BadText(w, r, err)
		return false
	}
	return true
}

// formPhotos reads the uploaded photos named key; an empty part (no file
// chosen) is skipped. A file over the limit is read only to the limit, so
// the size check reports it.
func formPhotos(r *http.Request, key string) ([]Photo, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []Photo
	for _, fh := range r.MultipartForm.File[key] {
		if fh.Size == 0 {
			continue
		}
		if fh.Size > MaxPhotoSize {
			out = append(out, Photo{Name: fh.Filename, Data: make([]byte, MaxPhotoSize+1)})
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxPhotoSize+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, Photo{Name: fh.Filename, Data: data})
	}
	return out, nil
}

func (m *Module) submitPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	if staffOnSubmit(a) {
		m.s.Error(w, r, http.StatusForbidden, "")
		return
	}
	if !m.parseUpload(w, r) {
		return
	}
	f := r.PostForm
	d := m.submitData(r, f)
	lang := i18n.LangFrom(ctx)
	anonymous := a == nil
	addr := web.ClientAddr(ctx)
	if anonymous {
		// Only accepted requests count: the form is checked before an event is recorded.
		full, _, err := m.submits.Full(ctx, addr, m.d.Now())
		if err != nil {
			m.fail(w, r, err)
			return
		}
		if full {
			d.Limited = true
			m.renderSubmit(w, r, http.StatusTooManyRequests, d)
			return
		}
	}
	in := Submission{Type: Type(f.Get("type")), CategoryCode: f.Get("category_code"), Title: f.Get("title"),
		Content: f.Get("content"), CallerName: f.Get("caller_name"), CallerPhone: f.Get("caller_phone"),
		RegionCode: f.Get("region_code"), Address: f.Get("address"), Confidential: f.Get("confidential") == "1",
		Public: f.Get("public") == "1"}
	var bad problems
	for _, k := range []struct {
		name string
		dst  **float64
	}{{"lat", &in.Lat}, {"lng", &in.Lng}} {
		if v := strings.TrimSpace(f.Get(k.name)); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				bad.add(k.name, "位置须为数字 (the position must be a number)")
				continue
			}
			*k.dst = &x
		}
	}
	if anonymous && strings.TrimSpace(in.CallerPhone) == "" {
		bad.add("caller_phone", "请填写联系电话，办理结果将通过短信告知 (the phone number is required)")
	}
	photos, err := formPhotos(r, "photos")
	if err != nil {
		m.fail(w, r, err)
		return
	}
	in.Photos = photos
	var res *SubmitResult
	if len(bad) > 0 {
		// Name the form's other problems too.
		err = errors.Join(bad.err(), m.checkOnly(a, in))
	} else {
		res, err = m.Submit(ctx, a, in)
	}
	if fes := FieldErrors(err); len(fes) > 0 {
		for _, fe := range fes {
			if _, seen := d.Errors[fe.Name]; !seen {
				d.Errors[fe.Name] = localMessage(lang, fe.Message)
			}
		}
		d.Similar, _ = m.SimilarOpen(ctx, in.RegionCode, in.Address, in.Title+" "+in.Content, in.Lat, in.Lng)
		m.renderSubmit(w, r, http.StatusUnprocessableEntity, d)
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if anonymous {
		if _, _, err := m.submits.Hit(ctx, addr, m.d.Now()); err != nil {
			// The order is filed; a lost count must not hide its tracking link.
			m.s.Logger().ErrorContext(ctx, "hotline submit limit", "err", err)
		}
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, res.Track+"?ok=submitted", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/hotline/mine/"+strconv.FormatInt(res.Order.ID, 10)+"?ok=submitted", http.StatusSeeOther)
}

// checkOnly validates a submission without storing it, for the form to
// name every problem at once.
func (m *Module) checkOnly(a *auth.Actor, in Submission) error {
	n := NewOrder{Channel: ChannelWeb, Type: in.Type, CategoryCode: in.CategoryCode, Title: in.Title, Content: in.Content,
		CallerName: in.CallerName, CallerPhone: in.CallerPhone, RegionCode: in.RegionCode, Address: in.Address,
		Lat: in.Lat, Lng: in.Lng}
	if a != nil && strings.TrimSpace(n.CallerPhone) == "" {
		n.CallerPhone = "13800000000" // the account's number is used
	}
	n.normalize()
	err := n.validate(m.activeCategory)
	if _, perr := checkPhotos("photos", in.Photos, MaxPhotos); perr != nil {
		err = errors.Join(err, perr)
	}
	return err
}

// similarFragment answers the form's htmx request with the similar open
// requests nearby for what has been typed so far.
func (m *Module) similarFragment(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var lat, lng *float64
	if x, err := strconv.ParseFloat(q.Get("lat"), 64); err == nil {
		if y, err := strconv.ParseFloat(q.Get("lng"), 64); err == nil {
			lat, lng = &x, &y
		}
	}
	text := q.Get("title") + " " + q.Get("content")
	if len([]rune(text)) > maxContent+maxTitle+1 {
		m.s.Error(w, r, http.StatusBadRequest, "")
		return
	}
	items, err := m.SimilarOpen(r.Context(), q.Get("region_code"), q.Get("address"), text, lat, lng)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.RenderFragment(w, r, "hotline/submit_form.html", "similar_fragment", items)
}

// trackEntry is one sentence of the submitter's history.
type trackEntry struct {
	At   time.Time
	Key  string
	Text string
}

// trackData is what the submitter's page of an order renders.
type trackData struct {
	O       *Order
	Base    string // the page's own path: /hotline/track/{token} or /hotline/mine/{id}
	Link    string // the absolute tracking link, on the acknowledgement of an anonymous submission
	Flash   string
	Error   string
	Errors  map[string]string
	History []trackEntry
	Photos  []PhotoRef
	Open    bool
	Due     time.Time
	MaxMiB  int
}

// submitter reads who acts on the submitter's pages: the tracking token
// or the signed-in owner, and the order id.
func submitterOf(r *http.Request) (Submitter, int64, string) {
	if tok := r.PathValue("token"); tok != "" {
		return Submitter{Token: tok}, 0, "/hotline/track/" + tok
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return Submitter{Actor: auth.FromContext(r.Context())}, id, "/hotline/mine/" + strconv.FormatInt(id, 10)
}

func (m *Module) trackPage(w http.ResponseWriter, r *http.Request) {
	m.renderTrack(w, r, http.StatusOK, trackData{Flash: r.URL.Query().Get("ok")})
}

func (m *Module) renderTrack(w http.ResponseWriter, r *http.Request, status int, d trackData) {
	ctx := r.Context()
	s, id, base := submitterOf(r)
	// The token is a bearer secret: keep it out of other sites' logs and
	// of caches.
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	o, err := m.SubmitterOrder(ctx, s, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.O, d.Base, d.MaxMiB = o, base, MaxPhotoSize>>20
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	for _, st := range submitterOpen {
		d.Open = d.Open || o.Status == st
	}
	if s.Actor == nil && d.Flash == "submitted" {
		d.Link = m.d.Config.BaseURL + base
		if m.d.Config.BaseURL == "" {
			scheme := "http"
			if r.TLS != nil {
				scheme = "https"
			}
			d.Link = scheme + "://" + r.Host + base
		}
	}
	hs, err := m.d.Flow.History(ctx, o.InstanceID)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.History = submitterHistory(hs)
	if in, err := m.d.Flow.Instance(ctx, o.InstanceID); err == nil && o.Status == StatusHandling {
		d.Due = in.StateDueAt
	}
	if d.Photos, err = m.photos(ctx, o.ID); err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.RenderStatus(w, r, status, "hotline/submit_track.html", d)
}

// submitterHistory tells the submitter what happened to their request, one
// sentence an entry: who did what in words, with the reply and their own
// additions in full and nothing internal (staff names, send-back reasons,
// escalation levels).
func submitterHistory(hs []flow.HistoryEntry) []trackEntry {
	out := make([]trackEntry, 0, len(hs))
	for _, h := range hs {
		e := trackEntry{At: h.At, Key: "hotline.track.h." + h.Action}
		switch h.Action {
		case "start", "dispatch", "sign", "send_back", "return", "close", "visit", "reopen", "merge", "transfer_110",
			"escalate", "extension_request", "extension_decide":
		case "reply", "direct_close", "add_info", "withdraw":
			e.Text = h.Comment
		default:
			e.Key = "hotline.track.h.other"
		}
		out = append(out, e)
	}
	return out
}

func (m *Module) trackAction(w http.ResponseWriter, r *http.Request) {
	if !m.parseUpload(w, r) {
		return
	}
	ctx := r.Context()
	s, id, base := submitterOf(r)
	if s.Actor == nil && !m.lookups.allow(web.ClientAddr(ctx), m.d.Now()) {
		m.s.Error(w, r, http.StatusTooManyRequests, "")
		return
	}
	var err error
	switch r.PathValue("action") {
	case "info":
		var photos []Photo
		if photos, err = formPhotos(r, "photos"); err == nil {
			err = m.AddInfo(ctx, s, id, r.PostForm.Get("info"), photos)
		}
	case "withdraw":
		err = m.Withdraw(ctx, s, id, r.PostForm.Get("reason"))
	default:
		err = ErrNotFound
	}
	lang := i18n.LangFrom(ctx)
	switch {
	case err == nil:
		w.Header().Set("Referrer-Policy", "no-referrer")
		http.Redirect(w, r, base+"?ok="+r.PathValue("action"), http.StatusSeeOther)
	case len(FieldErrors(err)) > 0:
		d := trackData{Errors: map[string]string{}}
		for _, fe := range FieldErrors(err) {
			d.Errors[fe.Name] = localMessage(lang, fe.Message)
		}
		m.renderTrack(w, r, http.StatusUnprocessableEntity, d)
	case errors.Is(err, ErrState):
		m.renderTrack(w, r, http.StatusConflict, trackData{Error: "hotline.track.not_open"})
	default:
		m.fail(w, r, err)
	}
}

// servePhoto answers one stored photo, never sniffed or framed.
func (m *Module) servePhoto(w http.ResponseWriter, r *http.Request, id int64) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 0 {
		m.fail(w, r, ErrNotFound)
		return
	}
	data, ct, err := m.photo(r.Context(), id, n)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Disposition", "inline")
	h.Set("Referrer-Policy", "no-referrer")
	w.Write(data)
}

func (m *Module) trackPhoto(w http.ResponseWriter, r *http.Request) {
	id, err := m.TrackedOrder(r.Context(), r.PathValue("token"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.servePhoto(w, r, id)
}

func (m *Module) orderPhoto(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if _, err := m.Get(r.Context(), auth.FromContext(r.Context()), id); err != nil {
		m.fail(w, r, err)
		return
	}
	m.servePhoto(w, r, id)
}

// photosData is the photos of an order, for its staff page.
type photosData struct {
	O      *Order
	Photos []PhotoRef
}

// photosPage lists an order's photos: the fragment the order page loads,
// or a page of its own without htmx.
func (m *Module) photosPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	o, err := m.Get(ctx, auth.FromContext(ctx), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	ps, err := m.photos(ctx, id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := photosData{O: o, Photos: ps}
	if r.Header.Get("HX-Request") != "" {
		m.s.RenderFragment(w, r, "hotline/submit_photos.html", "photos_fragment", d)
		return
	}
	m.s.Render(w, r, "hotline/submit_photos.html", d)
}

// prefill copies into a new form the title, content and address a link
// carries (a business's 监管宝 page links here naming the business), each
// only when it would pass the form's own checks.
func prefill(form, q url.Values) {
	for field, limit := range map[string]int{"title": maxTitle, "content": maxContent, "address": maxAddress} {
		v := strings.TrimSpace(q.Get(field))
		if v != "" && len([]rune(v)) <= limit && valid.Text(field, v) == nil {
			form.Set(field, v)
		}
	}
}
