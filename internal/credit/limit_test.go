package credit_test

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// The public search limit is one for the deployment: a second node (another
// credit module and server on the same database) counts the same queries,
// so an address that used its three on one node is refused on both.
func TestPublicLimitSharedAcrossNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		p := setupPublic(t, db, 3)
		clock := func() time.Time { return p.now }
		box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		signer := certificate.NewEd25519Signer(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
		m2, err := credit.New(credit.Deps{DB: db, Org: org.NewService(db, box, clock), Policy: auth.NewPolicy(), Audit: audit.New(clock),
			Now: clock, Register: p.ents, Signer: signer, PublicLimit: 3, PublicWindow: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		s2, err := web.New(web.Config{Sessions: auth.NewService(db, clock, auth.Options{Password: auth.TestPasswordParams}),
			DB: db, Modules: []web.Module{m2}, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		srv2 := httptest.NewServer(s2.Handler())
		defer srv2.Close()
		two := &pworld{world: &world{db: db, m: m2, srv: srv2, depts: p.depts}, now: p.now, ents: p.ents}
		c := p.client(t, "")
		for i, node := range []*pworld{p, two, p} {
			if code, _, _ := node.get(t, c, "/credit/public?q=云澜"); code != http.StatusOK {
				t.Fatalf("query %d: %d", i+1, code)
			}
		}
		for i, node := range []*pworld{two, p} {
			if code, _, h := node.get(t, c, "/credit/public/"+bizA); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
				t.Errorf("4th query on node %d: %d, want 429 with Retry-After", 2-i, code)
			}
		}
		if code, _ := two.call(t, c, "GET", "/api/v1/credit/public/"+bizA, nil, nil); code != http.StatusTooManyRequests {
			t.Errorf("API on node 2 past the limit: %d, want 429", code)
		}
	})
}
