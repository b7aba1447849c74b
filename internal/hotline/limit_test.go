package hotline_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// node returns a second node of w's deployment: another hotline module and
// server on the same database, as a second process behind the load
// balancer would be.
func (w *world) node(t *testing.T, cfg hotline.Config) *world {
	t.Helper()
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	cal := calendar.New(calendar.Official())
	log := audit.New(w.clock)
	eng := flow.New(w.db, func() flow.Calendar { return cal }, log, w.clock)
	revs := revision.NewPages(w.db, revision.Store{Now: w.clock})
	m, err := hotline.New(hotline.Deps{DB: w.db, Flow: eng, Org: org.NewService(w.db, box, w.clock), Policy: auth.NewPolicy(),
		Audit: log, Box: box, Calendar: func() flow.Calendar { return cal }, Revisions: revs, Config: cfg, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Sessions: w.auth, DB: w.db, Modules: []web.Module{m, revs}, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	other := &world{t: t, db: w.db, now: w.now, actors: w.actors, eng: eng, m: m, auth: w.auth, srv: httptest.NewServer(s.Handler())}
	t.Cleanup(other.srv.Close)
	return other
}

// The anonymous submission limit is one for the deployment: two nodes on
// one database share it, so an address that filed its two requests on one
// node is refused on the other, and the refused form is not counted.
func TestSubmitLimitSharedAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg := hotline.Config{SubmitLimit: 2}
		one := setupSubmit(t, db, cfg)
		two := one.world.node(t, cfg)
		anon := anonymous()
		if code, _, body := one.postMultipart(t, anon, "/hotline/submit", submission("")); code != http.StatusUnprocessableEntity {
			t.Fatalf("a refused form on node one: %d %s", code, body)
		}
		for i, w := range []*world{one.world, two} {
			if code, _, body := w.postMultipart(t, anon, "/hotline/submit", submission("13800001111")); code != http.StatusSeeOther {
				t.Fatalf("request %d: %d %s", i+1, code, body)
			}
		}
		for i, w := range []*world{one.world, two} {
			if code, _, _ := w.postMultipart(t, anon, "/hotline/submit", submission("13800002222")); code != http.StatusTooManyRequests {
				t.Fatalf("third request on node %d: %d, want 429", i+1, code)
			}
		}
		// Signed-in callers are not limited by the address.
		if code, _, _ := two.postMultipart(t, one.client(t, "cit1"), "/hotline/submit", submission("13500001111")); code != http.StatusSeeOther {
			t.Fatalf("signed in after the address's limit: %d", code)
		}
	})
}
