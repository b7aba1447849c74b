package catalog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// send sends body with contentType through c, as a browser of the test
// server would (same origin).
func (w *world) send(t *testing.T, c *http.Client, method, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var baseRE = regexp.MustCompile(`name="base" value="([0-9a-f]{64})"`)

// TestItemCannotBeWiped sends the item's edit forms and its API update
// bodies that do not carry the whole working copy and checks that the
// item keeps its materials and fields; then restores an earlier version.
func TestItemCannotBeWiped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setupWithRevisions(t, db)
		ctx := context.Background()
		admin := w.actors["admin"]
		it, err := w.m.Create(ctx, admin, w.food())
		if err != nil {
			t.Fatal(err)
		}
		before, _ := w.m.Working(ctx, admin, it.ID)
		unchanged := func(what string) {
			t.Helper()
			got, err := w.m.Working(ctx, admin, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Draft, before.Draft) || got.RowVersion != before.RowVersion {
				t.Fatalf("%s changed the item: %d materials, %d fields", what, len(got.Materials), len(got.Fields))
			}
		}
		c := w.client(t, "admin")
		id := strconv.FormatInt(it.ID, 10)
		half, ct := func() ([]byte, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			mw.WriteField("op", "delete")
			mw.WriteField("n", "0")
			mw.Close()
			return buf.Bytes()[:buf.Len()/2], mw.FormDataContentType()
		}()
		for _, path := range []string{"/catalog/manage/" + id, "/catalog/manage/" + id + "/materials", "/catalog/manage/" + id + "/fields"} {
			for _, b := range []struct {
				name, ct string
				body     []byte
			}{
				{"empty", "application/x-www-form-urlencoded", nil},
				{"plain text", "text/plain", []byte("op=delete&n=0")},
				{"json", "application/json", []byte(`{"op":"delete","n":0}`)},
				{"truncated multipart", ct, half},
				{"only n", "application/x-www-form-urlencoded", []byte("n=0")},
			} {
				code, _ := w.send(t, c, http.MethodPost, path, b.ct, b.body)
				if code < 400 || code >= 500 {
					t.Errorf("%s %s: status %d, want 4xx", path, b.name, code)
				}
				unchanged(path + " " + b.name)
			}
		}

		// The API: the lists must be there, an empty one said so.
		api := "/api/v1/catalog/items/" + before.Code
		draft, _ := json.Marshal(before.Draft)
		var asMap map[string]any
		json.Unmarshal(draft, &asMap)
		without := func(keys ...string) []byte {
			m := map[string]any{}
			for k, v := range asMap {
				m[k] = v
			}
			for _, k := range keys {
				delete(m, k)
			}
			b, _ := json.Marshal(map[string]any{"item": m})
			return b
		}
		withEmpty := func(key string) []byte {
			m := map[string]any{}
			for k, v := range asMap {
				m[k] = v
			}
			m[key] = []any{}
			b, _ := json.Marshal(map[string]any{"item": m})
			return b
		}
		for name, body := range map[string][]byte{
			"no body":          nil,
			"empty object":     []byte(`{}`),
			"no materials":     without("materials"),
			"no fields":        without("fields"),
			"materials null":   []byte(strings.Replace(string(without()), `"materials":`, `"materials":null,"x":`, 1)),
			"empty materials":  withEmpty("materials"),
			"materials string": []byte(strings.Replace(string(without()), `"materials":`, `"materials":"x","x":`, 1)),
			"truncated":        without()[:40],
		} {
			code, body := w.send(t, c, http.MethodPut, api, "application/json", body)
			if code < 400 || code >= 500 {
				t.Errorf("API %s: status %d, want 4xx: %.300s", name, code, body)
			}
			unchanged("API " + name)
		}
		// dry_run shows the change and saves nothing.
		one := withEmpty("fields")
		var withClear map[string]any
		json.Unmarshal(one, &withClear)
		withClear["clear_fields"] = true
		clearBody, _ := json.Marshal(withClear)
		code, body := w.send(t, c, http.MethodPut, api+"?dry_run=true", "application/json", clearBody)
		if code != http.StatusOK || !strings.Contains(body, `"saved":false`) || !strings.Contains(body, "fields[area]") {
			t.Fatalf("dry run: %d %.500s", code, body)
		}
		unchanged("dry run")
		if n := len(mustList(t, db, id)); n != 0 {
			t.Fatalf("%d revisions after refusals", n)
		}
		code, body = w.send(t, c, http.MethodPut, api, "application/json", clearBody)
		if code != http.StatusOK || !strings.Contains(body, `"saved":true`) {
			t.Fatalf("explicit clear: %d %.300s", code, body)
		}
		after, _ := w.m.Working(ctx, admin, it.ID)
		if len(after.Fields) != 0 || len(after.Materials) != 2 {
			t.Fatalf("after clear: %d fields, %d materials", len(after.Fields), len(after.Materials))
		}

		// The working copy before is kept and restores, after a preview.
		revs := mustList(t, db, id)
		if len(revs) != 2 || revs[1].Reason != revision.ReasonBaseline {
			t.Fatalf("revisions = %+v", revs)
		}
		path := revision.Link(catalog.RevisionKind, id) + "/" + strconv.FormatInt(revs[1].ID, 10)
		code, body = w.get(t, c, path)
		if code != http.StatusOK || !strings.Contains(body, "面积") {
			t.Fatalf("restore preview: %d %.300s", code, body)
		}
		base := baseRE.FindStringSubmatch(body)[1]
		if resp := w.post(t, c, path, url.Values{"base": {strings.Repeat("1", 64)}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("stale restore: %d", resp.StatusCode)
		}
		if resp := w.post(t, c, path, url.Values{"base": {base}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("restore: %d", resp.StatusCode)
		}
		restored, _ := w.m.Working(ctx, admin, it.ID)
		if !reflect.DeepEqual(restored.Fields, before.Fields) || !reflect.DeepEqual(restored.Materials, before.Materials) {
			t.Fatalf("restored %+v", restored.Draft)
		}
		// Another department's approver neither sees nor restores it.
		other := w.client(t, "appr_cgj")
		if code, _ := w.get(t, other, revision.Link(catalog.RevisionKind, id)); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Errorf("versions for another department: %d", code)
		}
	})
}

func mustList(t *testing.T, db *store.DB, key string) []revision.Revision {
	t.Helper()
	rs, err := revision.Store{}.List(context.Background(), db, catalog.RevisionKind, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}
