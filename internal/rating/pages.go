package rating

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Departments names departments and staff on the pages; without it a page
// shows their numbers.
type Departments interface {
	DepartmentName(ctx context.Context, id int64) string
	UserName(ctx context.Context, id int64) string
}

// Pages are the module's pages: the SMS link's form and the public figures
// per department (public), the rating form of a signed-in applicant,
// caller or window clerk, the person's answers, and the staff's
// follow-ups and figures with their exports.
type Pages struct {
	svc   *Service
	depts Departments
	s     *web.Server
}

// NewPages returns the pages of svc; depts may be nil.
func NewPages(svc *Service, depts Departments) *Pages { return &Pages{svc: svc, depts: depts} }

// Mount registers the messages, templates, routes and API. The link, the
// thanks and the public figures are public (the link is the bearer's
// authority, the figures hold no personal data); the rest need a
// signed-in user and check scope.
func (p *Pages) Mount(s *web.Server) error {
	p.s = s
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := s.Bundle().Add("rating", loc); err != nil {
		return fmt.Errorf("rating: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := s.AddPages(tpl, "rating"); err != nil {
		return fmt.Errorf("rating: %w", err)
	}
	s.HandleFunc("GET /ratings/t/{token}", p.linkPage)
	s.HandleFunc("POST /ratings/t/{token}", p.linkPage)
	s.HandleFunc("GET /ratings/thanks", p.thanks)
	s.HandleFunc("GET /ratings/public", p.public)
	p.mountSignedIn(s)
	p.registerAPI(s)
	return nil
}

type linkData struct {
	Levels []Level
	Level  int
	Errors map[string]string
	Form   map[string]string
}

// levels lists the five levels best first, as GB/T 39735 shows them.
var levels = []Level{VerySatisfied, Satisfied, Basic, Dissatisfied, VeryDissatisfied}

// linkPage shows the form of an SMS link and records its rating. An
// unknown, used or expired token answers 404; the token is never logged
// (the access log records routes, not paths with tokens, see internal/web).
func (p *Pages) linkPage(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	if _, err := p.svc.TokenSubject(r.Context(), tok); err != nil {
		p.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	d := linkData{Levels: levels, Errors: map[string]string{}, Form: map[string]string{}}
	if r.Method == http.MethodPost {
		if !p.s.ParseForm(w, r) {
			return
		}
		lv, _ := strconv.Atoi(r.PostForm.Get("level"))
		d.Level, d.Form["comment"] = lv, r.PostForm.Get("comment")
		_, err := p.svc.RateByToken(r.Context(), tok, Input{Level: Level(lv), Comment: r.PostForm.Get("comment")})
		var fe *valid.FieldError
		switch {
		case errors.As(err, &fe):
			d.Errors[fe.Path] = fe.Message
			p.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "rating/link.html", d)
		case errors.Is(err, ErrNotFound):
			p.s.Error(w, r, http.StatusNotFound, "")
		case err != nil:
			p.s.Error(w, r, http.StatusConflict, "")
		default:
			http.Redirect(w, r, "/ratings/thanks", http.StatusSeeOther)
		}
		return
	}
	p.s.Render(w, r, "rating/link.html", d)
}

func (p *Pages) thanks(w http.ResponseWriter, r *http.Request) {
	p.s.Render(w, r, "rating/thanks.html", nil)
}

type publicRow struct {
	Department string
	Figure
	Good, Fix string
}

// public shows the figures per department: counts per level, 好评率 and
// 差评整改率, no personal data, as 国办发〔2019〕51号 asks the results to be
// made public.
func (p *Pages) public(w http.ResponseWriter, r *http.Request) {
	figs, err := p.svc.Figures(r.Context(), ByDepartment, "", "")
	if err != nil {
		p.s.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	rows := make([]publicRow, 0, len(figs))
	for _, f := range figs {
		name := f.Key
		if id, err := strconv.ParseInt(f.Key, 10, 64); err == nil && p.depts != nil {
			if n := p.depts.DepartmentName(r.Context(), id); n != "" {
				name = n
			}
		}
		rows = append(rows, publicRow{Department: name, Figure: f, Good: Percent(f.GoodPermil), Fix: Percent(f.FixPermil)})
	}
	p.s.Render(w, r, "rating/public.html", rows)
}
