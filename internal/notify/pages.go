package notify

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/web"
)

// pageSize is the number of messages on one page of /messages.
const pageSize = 20

// Mount registers the messages page, its forms and the API.
func (s *Service) Mount(srv *web.Server) error {
	s.s = srv
	loc, err := fs.Sub(localeFS, "locales")
	if err != nil {
		return err
	}
	if err := srv.Bundle().Add("notify", loc); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	tpl, err := fs.Sub(templateFS, "templates")
	if err != nil {
		return err
	}
	if err := srv.AddPages(tpl, "notify"); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	srv.Handle("GET /messages", srv.RequireActor(http.HandlerFunc(s.listPage)))
	srv.Handle("POST /messages/read-all", srv.RequireActor(http.HandlerFunc(s.readAll)))
	srv.Handle("POST /messages/{id}/read", srv.RequireActor(http.HandlerFunc(s.readOne)))
	s.registerAPI(srv)
	return nil
}

// Nav links every signed-in user to their messages. The navigation bar
// shows labels only, so the unread count is on the page itself.
func (s *Service) Nav(a *auth.Actor) []web.NavLink {
	if a == nil || a.UserID == 0 {
		return nil
	}
	return []web.NavLink{{Path: "/messages", Key: "notify.nav.messages"}}
}

// listData is what the messages page renders.
type listData struct {
	Messages []messageView
	Pager    web.Pager
	Unread   int
	OnlyNew  bool
	Flash    string
	Back     string // this page's URL, for the forms to return to
}

type messageView struct {
	Message
	Title, Body string // in the page's language
}

func (s *Service) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	onlyNew := r.URL.Query().Get("unread") == "1"
	after, err := web.Cursor(r, "after")
	if err != nil {
		s.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	msgs, pg, err := s.List(ctx, a, Query{Unread: onlyNew, Limit: pageSize, After: after})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	unread, err := s.Unread(ctx, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := i18n.LangFrom(ctx)
	d := listData{Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String()), Unread: unread, OnlyNew: onlyNew,
		Back: r.URL.RequestURI(), Messages: make([]messageView, len(msgs))}
	for i := range msgs {
		d.Messages[i] = messageView{Message: msgs[i], Title: msgs[i].TitleIn(lang), Body: msgs[i].BodyIn(lang)}
	}
	switch r.URL.Query().Get("ok") {
	case "read":
		d.Flash = "notify.flash.read"
	case "read_all":
		d.Flash = "notify.flash.read_all"
	}
	s.s.Render(w, r, "notify/messages.html", d)
}

func (s *Service) readOne(w http.ResponseWriter, r *http.Request) {
	if !s.s.ParseForm(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, ErrNotFound)
		return
	}
	if err := s.MarkRead(r.Context(), auth.FromContext(r.Context()), id); err != nil {
		s.fail(w, r, err)
		return
	}
	// A message's "open" button marks it read and follows its link.
	if r.PostForm.Get("open") == "1" {
		if msgs, err := s.one(r, id); err == nil && msgs.Link != "" {
			http.Redirect(w, r, msgs.Link, http.StatusSeeOther)
			return
		}
	}
	http.Redirect(w, r, back(r.PostForm.Get("back"), "read"), http.StatusSeeOther)
}

// one returns message id as the requester sees it.
func (s *Service) one(r *http.Request, id int64) (*Message, error) {
	a := auth.FromContext(r.Context())
	cond, args := visible(a)
	var rows []messageRow
	if err := s.d.DB.NewRaw(`SELECT `+messageCols+`, NULL AS read_at FROM notify_messages m WHERE m.id = ? AND `+cond,
		append([]any{id}, args...)...).Scan(r.Context(), &rows); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrNotFound
	}
	m := rows[0].message()
	return &m, nil
}

func (s *Service) readAll(w http.ResponseWriter, r *http.Request) {
	if !s.s.ParseForm(w, r) {
		return
	}
	if _, err := s.MarkAllRead(r.Context(), auth.FromContext(r.Context())); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, back(r.PostForm.Get("back"), "read_all"), http.StatusSeeOther)
}

// back returns the messages page to return to after a form, with ok set:
// only a /messages URL is followed, so the form cannot redirect elsewhere.
func back(to, ok string) string {
	if to != "/messages" && !strings.HasPrefix(to, "/messages?") {
		to = "/messages"
	}
	path, query, _ := strings.Cut(to, "?")
	var kept []string
	for part := range strings.SplitSeq(query, "&") {
		if part != "" && !strings.HasPrefix(part, "ok=") {
			kept = append(kept, part)
		}
	}
	kept = append(kept, "ok="+ok)
	return path + "?" + strings.Join(kept, "&")
}

func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, ErrNotFound) {
		s.s.Error(w, r, http.StatusNotFound, "notify.error.not_found")
		return
	}
	s.d.Log.ErrorContext(r.Context(), "notify: page failed", "request_id", web.RequestID(r.Context()), "err", err)
	s.s.Error(w, r, http.StatusInternalServerError, "")
}

// NavCounts puts the number of unread messages on the navigation bar.
func (s *Service) NavCounts(ctx context.Context, a *auth.Actor) map[string]int {
	n, err := s.Unread(ctx, a)
	if err != nil || n == 0 {
		return nil
	}
	return map[string]int{"/messages": n}
}
