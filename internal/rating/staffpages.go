package rating

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// pageSize is the number of follow-ups on one page of the list.
const pageSize = 20

// mountSignedIn registers the pages of signed-in people and staff.
func (p *Pages) mountSignedIn(s *web.Server) {
	s.Handle("GET /ratings/applications/{id}", s.RequireActor(p.rateHandler(KindCase, "decided")))
	s.Handle("POST /ratings/applications/{id}", s.RequireActor(p.rateHandler(KindCase, "decided")))
	s.Handle("GET /ratings/orders/{id}", s.RequireActor(p.rateHandler(KindHotline, "closed")))
	s.Handle("POST /ratings/orders/{id}", s.RequireActor(p.rateHandler(KindHotline, "closed")))
	s.Handle("GET /ratings/mine", s.RequireActor(http.HandlerFunc(p.mine)))
	s.Handle("GET /ratings/followups", s.RequireActor(http.HandlerFunc(p.followUps)))
	s.Handle("GET /ratings/followups.xlsx", s.RequireActor(http.HandlerFunc(p.followUpsXLSX)))
	s.Handle("GET /ratings/followups/{id}", s.RequireActor(http.HandlerFunc(p.followUpPage)))
	s.Handle("POST /ratings/followups/{id}", s.RequireActor(http.HandlerFunc(p.followUpPage)))
	s.Handle("GET /ratings/figures", s.RequireActor(http.HandlerFunc(p.figures)))
	s.Handle("GET /ratings/figures.xlsx", s.RequireActor(http.HandlerFunc(p.figuresXLSX)))
}

// Nav links staff to the follow-ups and figures.
func (p *Pages) Nav(a *auth.Actor) []web.NavLink {
	if a == nil || !a.IsStaff() || len(a.DepartmentIDs) == 0 && !overseer(a) {
		return nil
	}
	return []web.NavLink{{Path: "/ratings/followups", Key: "rating.nav.followups"}}
}

type rateData struct {
	Subject Subject
	Channel Channel
	Rated   *Rating
	Levels  []Level
	Level   int
	Errors  map[string]string
	Form    map[string]string
	Back    string
	Done    bool
}

// rateHandler serves the rating form of an application or order for the
// signed-in person who applied or called (online) or the window staff
// member serving it (window, the level read from the counter's device).
// Anyone else gets 404, whether or not the subject exists.
func (p *Pages) rateHandler(kind, event string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		a := auth.FromContext(ctx)
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			p.s.Error(w, r, http.StatusNotFound, "")
			return
		}
		subj := Subject{Kind: kind, ID: id, Event: event}
		ch, info, err := p.svc.Role(ctx, a, subj)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		d := rateData{Subject: subj, Channel: ch, Levels: levels, Errors: map[string]string{}, Form: map[string]string{}, Done: info.Done}
		d.Back = "/applications/" + strconv.FormatInt(id, 10)
		if kind == KindHotline {
			d.Back = "/hotline/orders/" + strconv.FormatInt(id, 10)
		}
		if d.Rated, err = p.svc.Of(ctx, subj); err != nil {
			p.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost {
			if !p.s.ParseForm(w, r) {
				return
			}
			lv, _ := strconv.Atoi(r.PostForm.Get("level"))
			d.Level, d.Form["comment"] = lv, r.PostForm.Get("comment")
			_, err := p.svc.Rate(ctx, a, subj, Input{Level: Level(lv), Comment: r.PostForm.Get("comment")})
			var fe *valid.FieldError
			switch {
			case errors.As(err, &fe):
				d.Errors[fe.Path] = fe.Message
				p.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "rating/rate.html", d)
			case err != nil:
				p.fail(w, r, err)
			default:
				http.Redirect(w, r, r.URL.Path+"?ok=1", http.StatusSeeOther)
			}
			return
		}
		p.s.Render(w, r, "rating/rate.html", d)
	})
}

// fail answers err with its status: 404 for what is not found or not the
// caller's, 403, 409 and 422 as the service says; others are 500.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch st := web.StatusOf(err); st {
	case http.StatusNotFound, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity:
		p.s.Error(w, r, st, "")
	default:
		p.s.Logger().ErrorContext(r.Context(), "rating: page failed", "request_id", web.RequestID(r.Context()), "err", err)
		p.s.Error(w, r, http.StatusInternalServerError, "")
	}
}

// mine lists the follow-ups of the signed-in person's bad ratings with the
// departments' answers.
func (p *Pages) mine(w http.ResponseWriter, r *http.Request) {
	a := auth.FromContext(r.Context())
	fs, err := p.svc.FollowUpsOfPerson(r.Context(), a.UserID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.s.Render(w, r, "rating/mine.html", p.views(r, fs))
}

type followView struct {
	FollowUp
	Department, Staff string
	CanAnswer         bool
	// Open: the viewer may open the rated application or order.
	Open bool
}

func (p *Pages) views(r *http.Request, fs []FollowUp) []followView {
	out := make([]followView, len(fs))
	a := auth.FromContext(r.Context())
	for i, f := range fs {
		out[i] = followView{FollowUp: f, Department: p.name(r, "department", f.DepartmentID), CanAnswer: CanAnswer(a, &fs[i]),
			Open: a != nil && p.svc.d.Subjects.Readable(r.Context(), a, f.Subject.Kind, f.Subject.ID)}
		if f.StaffID != 0 {
			out[i].Staff = p.name(r, "user", f.StaffID)
		}
	}
	return out
}

// name names a department or user, or shows its number.
func (p *Pages) name(r *http.Request, kind string, id int64) string {
	if p.depts != nil {
		var n string
		if kind == "department" {
			n = p.depts.DepartmentName(r.Context(), id)
		} else {
			n = p.depts.UserName(r.Context(), id)
		}
		if n != "" {
			return n
		}
	}
	return "#" + strconv.FormatInt(id, 10)
}

type followListData struct {
	Items   []followView
	Pager   web.Pager
	Status  string
	Overdue bool
	Query   string
}

func (p *Pages) followQuery(r *http.Request) (FollowQuery, error) {
	q := FollowQuery{Status: r.URL.Query().Get("status"), Overdue: r.URL.Query().Get("overdue") == "1", Limit: pageSize}
	var err error
	q.After, err = web.Cursor(r, "after")
	return q, err
}

// followUps is the staff list of follow-ups (核实、整改、反馈), open and
// overdue ones marked, a keyset page at a time.
func (p *Pages) followUps(w http.ResponseWriter, r *http.Request) {
	q, err := p.followQuery(r)
	if err != nil {
		p.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	fs, pg, err := p.svc.ListFollowUps(r.Context(), auth.FromContext(r.Context()), q)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.s.Render(w, r, "rating/followups.html", followListData{Items: p.views(r, fs), Status: q.Status, Overdue: q.Overdue,
		Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String()), Query: r.URL.RawQuery})
}

// followUpsXLSX exports the follow-ups the list selects (up to 5,000).
func (p *Pages) followUpsXLSX(w http.ResponseWriter, r *http.Request) {
	q, err := p.followQuery(r)
	if err != nil {
		p.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	a := auth.FromContext(r.Context())
	q.Limit = 200
	var all []FollowUp
	for len(all) < 5000 {
		fs, pg, err := p.svc.ListFollowUps(r.Context(), a, q)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		all = append(all, fs...)
		if pg.Next.IsZero() {
			break
		}
		q.After = pg.Next
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="rating-followups.xlsx"`)
	if err := WriteFollowUpsXLSX(w, all, func(kind string, id int64) string { return p.name(r, kind, id) }); err != nil {
		p.s.Logger().ErrorContext(r.Context(), "rating: export", "err", err)
	}
}

type followData struct {
	F      followView
	Errors map[string]string
	Form   map[string]string
	OK     bool
}

// followUpPage shows one follow-up and takes its answer from the
// responsible department's staff.
func (p *Pages) followUpPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		p.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	f, err := p.svc.FollowUp(ctx, a, id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d := followData{Errors: map[string]string{}, Form: map[string]string{}, OK: r.URL.Query().Get("ok") == "1"}
	if r.Method == http.MethodPost {
		if !p.s.ParseForm(w, r) {
			return
		}
		in := Answer{Verification: r.PostForm.Get("verification"), Rectification: r.PostForm.Get("rectification"), Feedback: r.PostForm.Get("feedback")}
		d.Form["verification"], d.Form["rectification"], d.Form["feedback"] = in.Verification, in.Rectification, in.Feedback
		_, err := p.svc.AnswerFollowUp(ctx, a, id, in)
		var fe *valid.FieldError
		switch {
		case errors.As(err, &fe):
			d.Errors[fe.Path] = fe.Message
			d.F = p.views(r, []FollowUp{*f})[0]
			p.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "rating/followup.html", d)
		case err != nil:
			p.fail(w, r, err)
		default:
			http.Redirect(w, r, r.URL.Path+"?ok=1", http.StatusSeeOther)
		}
		return
	}
	d.F = p.views(r, []FollowUp{*f})[0]
	p.s.Render(w, r, "rating/followup.html", d)
}

type figuresData struct {
	By, From, To string
	Rows         []figureRow
	Query        string
	Errors       map[string]string
}

type figureRow struct {
	Name string
	Figure
	Good, Fix string
}

func (p *Pages) figureRows(w http.ResponseWriter, r *http.Request) (figuresData, []Figure, bool) {
	q := r.URL.Query()
	d := figuresData{By: q.Get("by"), From: q.Get("from"), To: q.Get("to"), Query: r.URL.RawQuery, Errors: map[string]string{}}
	if d.By == "" {
		d.By = ByDepartment
	}
	figs, err := p.svc.FiguresFor(r.Context(), auth.FromContext(r.Context()), d.By, d.From, d.To)
	var fe *valid.FieldError
	switch {
	case errors.As(err, &fe):
		d.Errors[fe.Path] = fe.Message
		p.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "rating/figures.html", d)
		return d, nil, false
	case err != nil:
		p.fail(w, r, err)
		return d, nil, false
	}
	return d, figs, true
}

func (p *Pages) keyName(r *http.Request, by, key string) string {
	id, err := strconv.ParseInt(key, 10, 64)
	if by == ByItem || err != nil {
		return key
	}
	if by == ByStaff {
		return p.name(r, "user", id)
	}
	return p.name(r, "department", id)
}

// figures shows counts per level, 好评率 and 差评整改率 per item,
// department or window staff member over a period.
func (p *Pages) figures(w http.ResponseWriter, r *http.Request) {
	d, figs, ok := p.figureRows(w, r)
	if !ok {
		return
	}
	for _, f := range figs {
		d.Rows = append(d.Rows, figureRow{Name: p.keyName(r, d.By, f.Key), Figure: f, Good: Percent(f.GoodPermil), Fix: Percent(f.FixPermil)})
	}
	p.s.Render(w, r, "rating/figures.html", d)
}

func (p *Pages) figuresXLSX(w http.ResponseWriter, r *http.Request) {
	d, figs, ok := p.figureRows(w, r)
	if !ok {
		return
	}
	for i := range figs {
		figs[i].Key = p.keyName(r, d.By, figs[i].Key)
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="rating-figures.xlsx"`)
	if err := WriteFiguresXLSX(w, d.By, figs); err != nil {
		p.s.Logger().ErrorContext(r.Context(), "rating: export", "err", err)
	}
}
