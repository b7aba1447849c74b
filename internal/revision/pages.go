package revision

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed templates/revision/*.html
var templatesFS embed.FS

//go:embed locales/*.json
var localesFS embed.FS

// Set is a kind of set of rows that administrators replace as a whole, as
// the module owning it exposes it to the versions pages. Each method
// decides with the module's own policy.
type Set interface {
	// Authorize returns nil when a may replace the set key, and an error
	// the web layer maps to 403 or 404 otherwise.
	Authorize(ctx context.Context, a *auth.Actor, key string) error
	// Current returns the set's stored content, the value the module
	// passes to Replacement.Current.
	Current(ctx context.Context, key string) (any, error)
	// Rows flattens a snapshot (or the encoded Current) for the preview.
	Rows(ctx context.Context, snapshot json.RawMessage) ([]Row, error)
	// Restore replaces the set with snapshot through the module's own
	// replacement path (validation, audit, caches), refusing with ErrStale
	// when base is not the hash of the current content; from names the
	// revision restored.
	Restore(ctx context.Context, a *auth.Actor, key string, snapshot json.RawMessage, base string, from int64) error
	// Title names the set in the request's language; Link is the page
	// where it is edited.
	Title(ctx context.Context, key string) string
	Link(key string) string
}

// Pages serves the versions of every registered set under
// /admin/revisions/{kind}/{key}: the list, a preview of restoring one
// version and the restore itself; and renders the preview of any
// replacement for the modules (RenderPreview). It implements web.Module.
type Pages struct {
	db    *store.DB
	store Store
	s     *web.Server
	sets  map[string]Set
}

// NewPages returns the versions pages over db.
func NewPages(db *store.DB, st Store) *Pages {
	return &Pages{db: db, store: st, sets: map[string]Set{}}
}

// Store returns the revisions store the pages read.
func (p *Pages) Store() Store { return p.store }

// Register makes the sets of kind reachable from the versions pages. The
// modules call it while they are mounted, before the server serves.
func (p *Pages) Register(kind string, s Set) { p.sets[kind] = s }

// Mount registers the pages' messages, templates and routes.
func (p *Pages) Mount(s *web.Server) error {
	p.s = s
	loc, err := fs.Sub(localesFS, "locales")
	if err != nil {
		return fmt.Errorf("revision: %w", err)
	}
	if err := s.Bundle().Add("revision", loc); err != nil {
		return fmt.Errorf("revision: %w", err)
	}
	tpl, err := fs.Sub(templatesFS, "templates")
	if err != nil {
		return fmt.Errorf("revision: %w", err)
	}
	if err := s.AddPages(tpl, "revision"); err != nil {
		return fmt.Errorf("revision: %w", err)
	}
	admin := s.Require(auth.RoleAdmin)
	s.Handle("GET /admin/revisions/{kind}/{key}", admin(http.HandlerFunc(p.listPage)))
	s.Handle("GET /admin/revisions/{kind}/{key}/{id}", admin(http.HandlerFunc(p.restorePreview)))
	s.Handle("POST /admin/revisions/{kind}/{key}/{id}", admin(http.HandlerFunc(p.restoreSubmit)))
	return nil
}

// Link returns the path of the versions page of a set.
func Link(kind, key string) string {
	return "/admin/revisions/" + url.PathEscape(kind) + "/" + url.PathEscape(key)
}

// Preview is what the preview of a replacement shows: the changes, and a
// confirm button posting the submitted set back to Action with the hash
// of the content the changes were computed against.
type Preview struct {
	Title   string
	Back    string     // the set's page (cancel)
	Action  string     // where the confirm posts
	Fields  url.Values // the submitted set, carried to the confirm
	Base    string     // hash of the current content
	Changes []Change
	Counts  Counts
	// Stale is set when a confirm was refused because the set changed
	// meanwhile: the changes are against the new content.
	Stale bool
	// Restoring is the revision being restored, when it is a restore.
	Restoring *Revision
	Versions  string // the versions page of the set
}

// RenderPreview writes the preview page with status (200, or 409 for a
// stale confirm).
func (p *Pages) RenderPreview(w http.ResponseWriter, r *http.Request, status int, pv Preview) {
	pv.Counts = Count(pv.Changes)
	delete(pv.Fields, "base")
	delete(pv.Fields, "step")
	p.s.RenderStatus(w, r, status, "revision/preview.html", pv)
}

// set returns the registered set of the path's kind and its key, after
// the set's own authorisation; it writes the error page and returns false
// otherwise.
func (p *Pages) set(w http.ResponseWriter, r *http.Request) (Set, string, bool) {
	s, ok := p.sets[r.PathValue("kind")]
	key := r.PathValue("key")
	if !ok || key == "" || HasControl(key) {
		p.s.Error(w, r, http.StatusNotFound, "")
		return nil, "", false
	}
	if err := s.Authorize(r.Context(), auth.FromContext(r.Context()), key); err != nil {
		p.fail(w, r, err)
		return nil, "", false
	}
	return s, key, true
}

func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := web.StatusOf(err)
	if errors.Is(err, ErrNotFound) {
		status = http.StatusNotFound
	}
	if status >= 500 {
		p.s.Logger().ErrorContext(r.Context(), "revision", "request_id", web.RequestID(r.Context()), "path", r.URL.Path, "err", err)
	}
	p.s.Error(w, r, status, "")
}

type listData struct {
	Title    string
	Kind     string
	Key      string
	Back     string
	Items    []Revision
	Versions string
	Current  string // hash of the current content
}

func (p *Pages) listPage(w http.ResponseWriter, r *http.Request) {
	s, key, ok := p.set(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	items, err := p.store.List(ctx, p.db, r.PathValue("kind"), key, MaxList)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	cur, err := s.Current(ctx, key)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	h, err := Hash(cur)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	kind := r.PathValue("kind")
	p.s.Render(w, r, "revision/list.html", listData{Title: s.Title(ctx, key), Kind: kind, Key: key,
		Back: s.Link(key), Items: items, Versions: Link(kind, key), Current: h})
}

// revisionOf reads the revision in the path.
func (p *Pages) revisionOf(w http.ResponseWriter, r *http.Request, key string) (Revision, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		p.s.Error(w, r, http.StatusNotFound, "")
		return Revision{}, false
	}
	rev, err := p.store.Get(r.Context(), p.db, r.PathValue("kind"), key, id)
	if err != nil {
		p.fail(w, r, err)
		return Revision{}, false
	}
	return rev, true
}

// preview computes the changes restoring rev would make to the current
// content of the set.
func (p *Pages) preview(ctx context.Context, s Set, key string, rev Revision) (Preview, error) {
	cur, err := s.Current(ctx, key)
	if err != nil {
		return Preview{}, err
	}
	raw, err := json.Marshal(cur)
	if err != nil {
		return Preview{}, fmt.Errorf("revision: encode current: %w", err)
	}
	was, err := s.Rows(ctx, raw)
	if err != nil {
		return Preview{}, err
	}
	will, err := s.Rows(ctx, rev.Snapshot)
	if err != nil {
		return Preview{}, err
	}
	kind := rev.Kind
	return Preview{Title: s.Title(ctx, key), Back: s.Link(key), Versions: Link(kind, key),
		Action: Link(kind, key) + "/" + strconv.FormatInt(rev.ID, 10), Fields: url.Values{},
		Base: hashBytes(raw), Changes: Diff(was, will), Restoring: &rev}, nil
}

func (p *Pages) restorePreview(w http.ResponseWriter, r *http.Request) {
	s, key, ok := p.set(w, r)
	if !ok {
		return
	}
	rev, ok := p.revisionOf(w, r, key)
	if !ok {
		return
	}
	pv, err := p.preview(r.Context(), s, key, rev)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.RenderPreview(w, r, http.StatusOK, pv)
}

func (p *Pages) restoreSubmit(w http.ResponseWriter, r *http.Request) {
	s, key, ok := p.set(w, r)
	if !ok {
		return
	}
	if err := ParseForm(r, 1<<20, "base"); err != nil {
		p.s.Error(w, r, err.(*FormError).Status, "")
		return
	}
	rev, ok := p.revisionOf(w, r, key)
	if !ok {
		return
	}
	ctx := r.Context()
	base := strings.TrimSpace(r.PostForm.Get("base"))
	err := s.Restore(ctx, auth.FromContext(ctx), key, rev.Snapshot, base, rev.ID)
	if errors.Is(err, ErrStale) {
		pv, perr := p.preview(ctx, s, key, rev)
		if perr != nil {
			p.fail(w, r, perr)
			return
		}
		pv.Stale = true
		p.RenderPreview(w, r, http.StatusConflict, pv)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, Link(rev.Kind, key)+"?restored="+strconv.Itoa(rev.Seq), http.StatusSeeOther)
}
