package fairreview

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/web"
)

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
	ok, wait := m.allowWrite(r.Context())
	if ok {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	m.renderPublicMeasure(w, r, http.StatusTooManyRequests, publicData{TooMany: true})
	return true
}

// publicWrite takes a comment (第十六条) or a report (第二十二条) from the
// public: the measure the path names, the brake, then the service; a
// refusal shows the form again with what was written, the phone left out.
func (m *Module) publicWrite(report bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := m.measureID(r)
		if !ok {
			m.fail(w, r, ErrNotFound)
			return
		}
		if !m.s.ParseForm(w, r) || m.throttled(w, r) {
			return
		}
		var d publicData
		var next string
		var err error
		if report {
			d.Body = r.PostForm.Get("report")
			var rep *Report
			if rep, err = m.SubmitReport(r.Context(), id, d.Body, r.PostForm.Get("phone")); err == nil {
				// The tracking link is the reporter's bearer link: shown
				// once on its page, never logged.
				next = "/fair-review/track/" + rep.Token + "?new=1"
			}
		} else {
			d.Source, d.Body = r.PostForm.Get("source"), r.PostForm.Get("body")
			if _, err = m.AddComment(r.Context(), id, d.Source, d.Body); err == nil {
				next = "/fair-review/public/" + strconv.FormatInt(id, 10) + "?saved=1"
			}
		}
		if errors.Is(err, ErrNotFound) {
			m.fail(w, r, err)
			return
		}
		if err != nil {
			d.Problem = lines(err)
			m.renderPublicMeasure(w, r, web.StatusOf(err), d)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
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
