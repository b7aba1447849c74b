package fairreview

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/yingshang/yingshang/internal/web"
)

// limiter brakes the public's writes (comments and reports) per client
// address: burst writes, then one every interval. It is per node, in
// memory, and forgets everyone past 10,000 addresses rather than grow.
type limiter struct {
	mu    sync.Mutex
	every time.Duration
	burst int
	seen  map[string]*rate.Limiter
}

func newLimiter(every time.Duration, burst int) *limiter {
	return &limiter{every: every, burst: burst, seen: map[string]*rate.Limiter{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.seen[key]
	if lim == nil {
		if len(l.seen) > 10000 {
			clear(l.seen)
		}
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.seen[key] = lim
	}
	return lim.AllowN(now, 1)
}

type publicData struct {
	Open     []*Measure
	Issued   []*Measure
	Q        string
	M        *Measure
	Comment  bool
	Sources  []string
	Problem  []string
	Source   string
	Body     string
	Phone    string
	Saved    bool
	TooMany  bool
	Report   *Report
	Tracking string
}

func (m *Module) publicPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if len([]rune(q)) > 100 {
		m.s.Error(w, r, http.StatusUnprocessableEntity, "")
		return
	}
	open, err := m.OpenForComment(r.Context())
	if err != nil {
		m.fail(w, r, err)
		return
	}
	issued, err := m.Issued(r.Context(), q, 0, 30)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "fairreview/public.html", publicData{Open: open, Issued: issued, Q: q})
}

func (m *Module) renderPublicMeasure(w http.ResponseWriter, r *http.Request, status int, d publicData) {
	id, ok := m.measureID(r)
	if !ok {
		m.fail(w, r, ErrNotFound)
		return
	}
	ms, err := m.PublicMeasure(r.Context(), id)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.M, d.Comment, d.Sources = ms, m.CommentOpen(ms), Sources
	if d.Source == "" {
		d.Source = Sources[2]
	}
	d.Saved = d.Saved || r.URL.Query().Get("saved") == "1"
	m.s.RenderStatus(w, r, status, "fairreview/public_measure.html", d)
}

func (m *Module) publicMeasurePage(w http.ResponseWriter, r *http.Request) {
	m.renderPublicMeasure(w, r, http.StatusOK, publicData{})
}

// throttled answers 429 when the client has written too often, and
// reports whether it did.
func (m *Module) throttled(w http.ResponseWriter, r *http.Request) bool {
	if m.writes.allow(web.ClientAddr(r.Context()), m.d.Now()) {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(m.writes.every/time.Second)+1))
	m.renderPublicMeasure(w, r, http.StatusTooManyRequests, publicData{TooMany: true})
	return true
}

func (m *Module) publicComment(w http.ResponseWriter, r *http.Request) {
	id, ok := m.measureID(r)
	if !ok {
		m.fail(w, r, ErrNotFound)
		return
	}
	if !m.s.ParseForm(w, r) || m.throttled(w, r) {
		return
	}
	d := publicData{Source: r.PostForm.Get("source"), Body: r.PostForm.Get("body")}
	if _, err := m.AddComment(r.Context(), id, d.Source, d.Body); err != nil {
		if errors.Is(err, ErrNotFound) {
			m.fail(w, r, err)
			return
		}
		d.Problem = lines(err)
		m.renderPublicMeasure(w, r, web.StatusOf(err), d)
		return
	}
	http.Redirect(w, r, "/fair-review/public/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
}

func (m *Module) publicReport(w http.ResponseWriter, r *http.Request) {
	id, ok := m.measureID(r)
	if !ok {
		m.fail(w, r, ErrNotFound)
		return
	}
	if !m.s.ParseForm(w, r) || m.throttled(w, r) {
		return
	}
	d := publicData{Body: r.PostForm.Get("report"), Phone: r.PostForm.Get("phone")}
	rep, err := m.SubmitReport(r.Context(), id, d.Body, d.Phone)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			m.fail(w, r, err)
			return
		}
		d.Problem = lines(err)
		d.Phone = ""
		m.renderPublicMeasure(w, r, web.StatusOf(err), d)
		return
	}
	// The tracking link is the reporter's bearer link: shown once here,
	// never logged.
	http.Redirect(w, r, "/fair-review/track/"+rep.Token+"?new=1", http.StatusSeeOther)
}

func (m *Module) trackPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if !tokenRE.MatchString(token) {
		m.fail(w, r, ErrNotFound)
		return
	}
	rep, err := m.Track(r.Context(), token)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	ms, err := m.load(r.Context(), m.d.DB, rep.MeasureID)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "fairreview/track.html", publicData{Report: rep, M: ms, Saved: r.URL.Query().Get("new") == "1",
		Tracking: "/fair-review/track/" + token})
}
