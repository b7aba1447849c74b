package hotline_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func (w *world) send(t *testing.T, c *http.Client, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", w.srv.URL)
	return do(t, c, req)
}

// config is everything the configuration forms may change.
type config struct {
	Directory  []hotline.DirectoryEntry
	Limits     []hotline.Limits
	Categories []hotline.Category
}

func (w *world) config(t *testing.T) config {
	t.Helper()
	ctx := context.Background()
	dir, err := w.m.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := w.m.AllLimits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return config{Directory: dir, Limits: ls, Categories: w.m.Categories()}
}

func revisionsOf(t *testing.T, db *store.DB, kind, key string) []revision.Revision {
	t.Helper()
	rs, err := revision.Store{}.List(context.Background(), db, kind, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

var baseRE = regexp.MustCompile(`name="base" value="([0-9a-f]{64})"`)

// TestConfigCannotBeWiped sends every configuration form of the hotline
// bodies that are not the whole form and checks that nothing changed.
func TestConfigCannotBeWiped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		addAdmins(t, w)
		ctx := context.Background()
		if err := w.m.SaveDirectoryEntry(ctx, auth.System(), hotline.DirectoryEntry{CategoryCode: "010101",
			RegionCode: "990102", DepartmentID: w.deptB}); err != nil {
			t.Fatal(err)
		}
		before := w.config(t)
		revsBefore := len(revisionsOf(t, db, hotline.RevisionDirectory, "990102"))
		adm := w.client(t, "adm")
		typ := string(hotline.Types[0])
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("delete", strconv.FormatInt(before.Directory[0].ID, 10))
		mw.WriteField("action", "deactivate")
		mw.Close()
		half := buf.Bytes()[:buf.Len()/2]
		for _, path := range []string{"/hotline/directory", "/hotline/limits/" + typ, "/hotline/categories", "/hotline/categories/010101"} {
			for _, b := range []struct {
				name, ct string
				body     []byte
			}{
				{"empty", "application/x-www-form-urlencoded", nil},
				{"plain text", "text/plain", []byte("delete=1&action=deactivate")},
				{"json", "application/json", []byte(`{"delete": 1, "action": "deactivate"}`)},
				{"no content type", "", []byte("delete=1&action=deactivate")},
				{"truncated multipart", mw.FormDataContentType(), half},
				{"unrelated fields", "application/x-www-form-urlencoded", []byte("note=x&sign_for_n=1")},
			} {
				code, body := w.send(t, adm, path, b.ct, b.body)
				if code < 400 || code >= 500 {
					t.Errorf("%s %s: status %d, want 4xx: %.300s", path, b.name, code, body)
				}
				if got := w.config(t); !reflect.DeepEqual(got, before) {
					t.Fatalf("%s %s changed the configuration", path, b.name)
				}
			}
		}
		if n := len(revisionsOf(t, db, hotline.RevisionDirectory, "990102")); n != revsBefore {
			t.Fatalf("refusals recorded %d revisions", n-revsBefore)
		}
		for _, k := range []struct{ kind, key string }{{hotline.RevisionLimits, typ}, {hotline.RevisionCategories, "tree"}} {
			if n := len(revisionsOf(t, db, k.kind, k.key)); n != 0 {
				t.Fatalf("refusals recorded %d revisions of %s", n, k.kind)
			}
		}
	})
}

// restore previews revision rev of (kind, key) and confirms it; a stale
// base is refused with 409 first.
func (w *world) restore(t *testing.T, c *http.Client, kind, key string, rev revision.Revision) {
	t.Helper()
	path := revision.Link(kind, key) + "/" + strconv.FormatInt(rev.ID, 10)
	code, body := w.get(t, c, path)
	m := baseRE.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		t.Fatalf("preview %s: %d %.300s", path, code, body)
	}
	if code, _ := w.postForm(t, c, path, url.Values{"base": {strings.Repeat("0", 64)}}); code != http.StatusConflict {
		t.Fatalf("stale restore of %s: %d, want 409", kind, code)
	}
	if code, body := w.postForm(t, c, path, url.Values{"base": {m[1]}}); code != http.StatusSeeOther {
		t.Fatalf("restore %s: %d %.300s", kind, code, body)
	}
}

// TestConfigRestore: a deleted directory line, changed limits and a
// deactivated branch of the tree come back from their versions pages.
func TestConfigRestore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db, hotline.Config{})
		addAdmins(t, w)
		ctx := context.Background()
		if err := w.m.SaveDirectoryEntry(ctx, auth.System(), hotline.DirectoryEntry{CategoryCode: "010101",
			RegionCode: "990102", DepartmentID: w.deptB}); err != nil {
			t.Fatal(err)
		}
		before := w.config(t)
		adm, dadm := w.client(t, "adm"), w.client(t, "dadm")

		// The directory line is deleted, then restored.
		if code, _ := w.postForm(t, adm, "/hotline/directory", url.Values{"delete": {strconv.FormatInt(before.Directory[0].ID, 10)}}); code != http.StatusSeeOther {
			t.Fatalf("delete: %d", code)
		}
		revs := revisionsOf(t, db, hotline.RevisionDirectory, "990102")
		if len(revs) != 3 { // empty, the line, none
			t.Fatalf("directory revisions = %+v", revs)
		}
		w.restore(t, adm, hotline.RevisionDirectory, "990102", revs[1])
		if got := w.config(t).Directory; len(got) != 1 || got[0].DepartmentID != w.deptB {
			t.Fatalf("directory after restore = %+v", got)
		}

		// The limits of a type are changed, then restored.
		typ := hotline.Types[0]
		form := url.Values{}
		for _, f := range []string{"sign_for", "urgent_sign_for", "handle"} {
			form.Set(f+"_n", "1")
		}
		l := before.Limits[0]
		form.Set("sign_for_unit", string(l.SignFor.Unit))
		form.Set("urgent_sign_for_unit", string(l.UrgentSignFor.Unit))
		form.Set("handle_unit", string(l.Handle.Unit))
		if code, body := w.postForm(t, adm, "/hotline/limits/"+string(typ), form); code != http.StatusSeeOther {
			t.Fatalf("set limits: %d %.500s", code, body)
		}
		revs = revisionsOf(t, db, hotline.RevisionLimits, string(typ))
		if len(revs) != 2 || revs[1].Reason != revision.ReasonBaseline {
			t.Fatalf("limits revisions = %+v", revs)
		}
		w.restore(t, adm, hotline.RevisionLimits, string(typ), revs[1])
		if got := w.config(t).Limits[0]; got.SignFor != l.SignFor || got.Handle != l.Handle {
			t.Fatalf("limits after restore = %+v, want %+v", got, l)
		}

		// A branch is deactivated, then restored.
		if code, _ := w.postForm(t, adm, "/hotline/categories/010100", url.Values{"action": {"deactivate"}}); code != http.StatusSeeOther {
			t.Fatalf("deactivate: %d", code)
		}
		if c, _ := w.m.Category("010101"); c.Active {
			t.Fatal("not deactivated")
		}
		revs = revisionsOf(t, db, hotline.RevisionCategories, "tree")
		w.restore(t, adm, hotline.RevisionCategories, "tree", revs[len(revs)-1])
		if got := w.config(t).Categories; !reflect.DeepEqual(got, before.Categories) {
			t.Fatal("the tree after restore differs from before")
		}

		// A district administrator neither sees nor restores the city's
		// limits and tree; a dispatcher is not an administrator.
		for _, p := range []string{revision.Link(hotline.RevisionLimits, string(typ)), revision.Link(hotline.RevisionCategories, "tree")} {
			if code, _ := w.get(t, dadm, p); code != http.StatusForbidden {
				t.Errorf("district admin GET %s: %d, want 403", p, code)
			}
		}
		if code, _ := w.get(t, w.client(t, "disp"), revision.Link(hotline.RevisionDirectory, "990102")); code != http.StatusForbidden {
			t.Errorf("dispatcher opens the versions page: %d", code)
		}
		if code, _ := w.get(t, adm, revision.Link(hotline.RevisionDirectory, "99010X")); code != http.StatusNotFound {
			t.Errorf("bad region: %d", code)
		}
	})
}
