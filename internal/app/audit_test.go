package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/app"
	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/edkey"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func getJSON(t *testing.T, url string, v any) *http.Response {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, b)
	}
	return resp
}

// A node signs the audit tree head when it stops; anyone, without signing
// in, reads the heads and the public key, and the head checks with that
// key. Both routes are in the OpenAPI document.
func TestAuditHeadsPublished(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: dir, PasswordParams: &auth.TestPasswordParams})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(a.Web.Handler())
		defer srv.Close()
		var page struct {
			Latest *audit.TreeHead  `json:"latest"`
			Heads  []audit.TreeHead `json:"heads"`
			Total  int              `json:"total"`
		}
		getJSON(t, srv.URL+"/audit/heads", &page)
		if page.Latest != nil || page.Total != 0 || page.Heads == nil {
			t.Fatalf("heads before any signing: %+v", page)
		}
		for i := range 3 {
			err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := a.Audit.Append(ctx, tx, audit.Entry{Action: "test.entry", ObjectType: "test", ObjectID: string(rune('a' + i))})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		n, _, _ := audit.Head(ctx, db)
		// Serve and stop: the node signs on its way out.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := a.Serve(sctx, ln); err != nil {
			t.Fatal(err)
		}
		getJSON(t, srv.URL+"/audit/heads?limit=1", &page)
		if page.Latest == nil || page.Latest.TreeSize != n || page.Total != 1 || len(page.Heads) != 1 {
			t.Fatalf("heads after stop: %+v, want one of size %d", page, n)
		}
		var key audit.PublicKey
		getJSON(t, srv.URL+"/audit/key", &key)
		pub, err := edkey.ParsePublic(key.PublicKey)
		if err != nil || key.Algorithm != "Ed25519" || key.KeyID != page.Latest.KeyID {
			t.Fatalf("key %+v: %v", key, err)
		}
		if err := page.Latest.Check(audit.NewKeys(pub)); err != nil {
			t.Fatalf("published head does not check with the published key: %v", err)
		}
		fromFile, err := audit.ReadHeadFile(filepath.Join(dir, audit.HeadFileName))
		if err != nil || len(fromFile) != 1 || fromFile[0] != *page.Latest {
			t.Fatalf("head file: %+v %v", fromFile, err)
		}
		for _, f := range []string{audit.HeadFileName, audit.KeyFileName} {
			if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, %v; want 0600", f, fi.Mode().Perm(), err)
			}
		}
		// Bad paging is a 4xx that changes nothing.
		for _, q := range []string{"?limit=0", "?limit=501", "?offset=-1", "?limit=x"} {
			resp, err := http.Get(srv.URL + "/audit/heads" + q)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("GET /audit/heads%s: %d, want 4xx", q, resp.StatusCode)
			}
		}
		resp, err := http.Get(srv.URL + "/api/v1/openapi.json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, p := range []string{`"/audit/heads"`, `"/audit/key"`} {
			if !strings.Contains(string(b), p) {
				t.Errorf("OpenAPI document lacks %s", p)
			}
		}
	})
}

// With workers on, a node signs the tree head at its interval once the log
// grows, without waiting for the stop.
func TestAuditHeadsAtInterval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := app.WithDB(ctx, db, app.Config{DataDir: t.TempDir(), Workers: true,
			AuditHeadInterval: 20 * time.Millisecond, PasswordParams: &auth.TestPasswordParams})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Serve(sctx, ln) }()
		defer func() { cancel(); <-done }()
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := a.Audit.Append(ctx, tx, audit.Entry{Action: "test.entry", ObjectType: "test"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		n, _, _ := audit.Head(ctx, db)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			h, err := audit.LatestHead(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if h != nil && h.TreeSize == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no head of size %d signed while serving (latest %+v)", n, h)
			}
		}
	})
}
