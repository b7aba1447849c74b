package casework_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// call sends a JSON request and decodes the answer into out (when not nil).
func (s *site) call(t *testing.T, c *http.Client, method, path string, body any, out any) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	resp := s.do(t, c, method, path, "application/json", r)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp
}

func TestBundleAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		defineBundle(t, w)
		s := serve(t, w)
		anon := &http.Client{}

		// Anyone lists and reads published bundles, with the merged guide.
		var list struct {
			Items []casework.Bundle `json:"items"`
		}
		if resp := s.call(t, anon, "GET", "/api/v1/bundles", nil, &list); resp.StatusCode != 200 || len(list.Items) != 1 ||
			list.Items[0].Code != testBundle {
			t.Fatalf("list bundles: %d %+v", resp.StatusCode, list)
		}
		var guide casework.BundleGuideView
		if resp := s.call(t, anon, "GET", "/api/v1/bundles/"+testBundle, nil, &guide); resp.StatusCode != 200 ||
			guide.Merged == nil || guide.Merged.Total != 7 || len(guide.Merged.Materials) != 5 {
			t.Fatalf("bundle guide: %d %+v", resp.StatusCode, guide.Merged)
		}
		if resp := s.call(t, anon, "GET", "/api/v1/bundles/NOPE-404", nil, nil); resp.StatusCode != 404 {
			t.Errorf("unknown bundle: %d", resp.StatusCode)
		}

		// Applying needs an account of an applying role.
		in := bundleInput(w)
		in.BundleCode = "ignored"
		if resp := s.call(t, anon, "POST", "/api/v1/bundles/"+testBundle+"/applications", in, nil); resp.StatusCode != 401 {
			t.Errorf("anonymous apply: %d", resp.StatusCode)
		}
		if resp := s.call(t, s.client(t, "han"), "POST", "/api/v1/bundles/"+testBundle+"/applications", in, nil); resp.StatusCode != 403 {
			t.Errorf("handler applies: %d", resp.StatusCode)
		}
		ent := s.client(t, "ent")
		bad := bundleInput(w)
		delete(bad.Form, "area")
		before := w.count("casework_applications")
		if resp := s.call(t, ent, "POST", "/api/v1/bundles/"+testBundle+"/applications", bad, nil); resp.StatusCode != 422 {
			t.Errorf("apply without a required field: %d", resp.StatusCode)
		}
		if n := w.count("casework_applications"); n != before {
			t.Errorf("a refused bundle application stored %d applications", n-before)
		}
		var ba casework.BundleApplication
		resp := s.call(t, ent, "POST", "/api/v1/bundles/"+testBundle+"/applications", in, &ba)
		if resp.StatusCode != http.StatusCreated || len(ba.Children) != 3 || ba.BundleCode != testBundle {
			t.Fatalf("apply: %d %+v", resp.StatusCode, ba)
		}
		loc := resp.Header.Get("Location")
		if loc != "/api/v1/bundle-applications/"+strconv.FormatInt(ba.ID, 10) {
			t.Errorf("Location %q", loc)
		}

		// Follow its parts: the applicant reads it; a department handling
		// none of its parts and another citizen do not.
		var got casework.BundleApplication
		if resp := s.call(t, ent, "GET", loc, nil, &got); resp.StatusCode != 200 || len(got.Children) != 3 ||
			got.Children[0].Status == "" {
			t.Fatalf("read bundle application: %d %+v", resp.StatusCode, got)
		}
		if resp := s.call(t, s.client(t, "cit2"), "GET", loc, nil, nil); resp.StatusCode != 404 {
			t.Errorf("another citizen reads it: %d", resp.StatusCode)
		}
		var page struct {
			Items      []casework.BundleApplication `json:"items"`
			NextCursor string                       `json:"next_cursor"`
		}
		if resp := s.call(t, ent, "GET", "/api/v1/bundle-applications?limit=1", nil, &page); resp.StatusCode != 200 ||
			len(page.Items) != 1 || page.Items[0].ID != ba.ID || page.NextCursor != "" {
			t.Errorf("list mine: %d %+v", resp.StatusCode, page)
		}
		if resp := s.call(t, s.client(t, "cit2"), "GET", "/api/v1/bundle-applications", nil, &page); resp.StatusCode != 200 ||
			len(page.Items) != 0 {
			t.Errorf("another citizen lists %d", len(page.Items))
		}
		// A second application pages: the cursor leads to the older one.
		var ba2 casework.BundleApplication
		in2 := bundleInput(w)
		if resp := s.call(t, ent, "POST", "/api/v1/bundles/"+testBundle+"/applications", in2, &ba2); resp.StatusCode != 201 {
			t.Fatalf("second apply: %d", resp.StatusCode)
		}
		s.call(t, ent, "GET", "/api/v1/bundle-applications?limit=1", nil, &page)
		if len(page.Items) != 1 || page.Items[0].ID != ba2.ID || page.NextCursor == "" {
			t.Fatalf("first page: %+v", page)
		}
		next := page.NextCursor
		page.NextCursor = ""
		s.call(t, ent, "GET", "/api/v1/bundle-applications?limit=1&cursor="+next, nil, &page)
		if len(page.Items) != 1 || page.Items[0].ID != ba.ID || page.NextCursor != "" {
			t.Errorf("second page: %+v", page)
		}
		if resp := s.call(t, ent, "GET", "/api/v1/bundle-applications?cursor=x1", nil, nil); resp.StatusCode != 422 {
			t.Errorf("bad cursor: %d", resp.StatusCode)
		}
	})
}

func TestCrossRegionAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		addCrossItem(t, w)
		s := serve(t, w)
		qs := s.client(t, "clerk_qs")
		in := map[string]any{"item_code": itemCross, "form": map[string]string{"trade_name": "李四小吃"},
			"applicant": map[string]string{"kind": "person", "name": "李四", "id_number": otherID},
			"materials": []map[string]any{{"name": "申请书", "file": map[string]any{"name": "a.pdf", "data": pdf}}},
			"delivery":  "online"}
		var app casework.View
		if resp := s.call(t, qs, "POST", "/api/v1/applications", in, &app); resp.StatusCode != 201 {
			t.Fatalf("take in: %d", resp.StatusCode)
		}
		id := strconv.FormatInt(app.ID, 10)
		base := "/api/v1/cross-region/" + id

		var v casework.CrossRegionView
		if resp := s.call(t, qs, "GET", base, nil, &v); resp.StatusCode != 200 || v.Crossing != nil || v.Status != "submitted" {
			t.Fatalf("follow before forwarding: %d %+v", resp.StatusCode, v.Crossing)
		}
		han := s.client(t, "han")
		// Not forwarded yet: the owner cannot sign for it.
		if resp := s.call(t, han, "POST", base+"/acknowledge", nil, nil); resp.StatusCode != 409 {
			t.Errorf("acknowledge before forwarding: %d", resp.StatusCode)
		}
		// The checks are required (422); the owning region's clerk may not
		// forward (not found: they are not the receiving window).
		if resp := s.call(t, qs, "POST", base+"/forward", map[string]any{}, nil); resp.StatusCode != 422 {
			t.Errorf("forward without checks: %d", resp.StatusCode)
		}
		ok := map[string]any{"form_checked": true, "identity_checked": true}
		if resp := s.call(t, s.client(t, "clerk"), "POST", base+"/forward", ok, nil); resp.StatusCode != 404 {
			t.Errorf("owning region's clerk forwards: %d", resp.StatusCode)
		}
		if resp := s.call(t, qs, "POST", base+"/forward", ok, &v); resp.StatusCode != 200 || v.Crossing == nil ||
			v.Status != "forwarded" || !v.Crossing.AcknowledgedAt.IsZero() {
			t.Fatalf("forward: %d %+v", resp.StatusCode, v)
		}
		if resp := s.call(t, qs, "POST", base+"/forward", ok, nil); resp.StatusCode != 409 {
			t.Errorf("forward twice: %d", resp.StatusCode)
		}
		// Only the owning department signs for it, once.
		if resp := s.call(t, qs, "POST", base+"/acknowledge", nil, nil); resp.StatusCode != 403 {
			t.Errorf("receiving clerk acknowledges: %d", resp.StatusCode)
		}
		if resp := s.call(t, s.client(t, "hbn"), "POST", base+"/acknowledge", nil, nil); resp.StatusCode != 404 {
			t.Errorf("another department acknowledges: %d", resp.StatusCode)
		}
		var c casework.Crossing
		if resp := s.call(t, han, "POST", base+"/acknowledge", nil, &c); resp.StatusCode != 200 || c.AcknowledgedAt.IsZero() ||
			c.AcknowledgedByName != "承办甲" {
			t.Fatalf("acknowledge: %d %+v", resp.StatusCode, c)
		}
		if resp := s.call(t, han, "POST", base+"/acknowledge", nil, nil); resp.StatusCode != 409 {
			t.Errorf("acknowledge twice: %d", resp.StatusCode)
		}
		var audits int
		_ = db.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'casework.cross_region.acknowledge'`).Scan(&audits)
		if audits != 1 {
			t.Errorf("acknowledgement audit entries: %d", audits)
		}
		// Both sides follow it and list it; a third region does not.
		for _, c := range []*http.Client{qs, han} {
			var list struct {
				Items []casework.CrossRegionView `json:"items"`
			}
			if resp := s.call(t, c, "GET", "/api/v1/cross-region", nil, &list); resp.StatusCode != 200 || len(list.Items) != 1 ||
				list.Items[0].Crossing == nil || list.Items[0].Crossing.AcknowledgedAt.IsZero() {
				t.Errorf("list: %d %+v", resp.StatusCode, list)
			}
		}
		if resp := s.call(t, s.client(t, "cit1"), "GET", base, nil, nil); resp.StatusCode != 404 {
			t.Errorf("unrelated citizen follows it: %d", resp.StatusCode)
		}
		if resp := s.call(t, s.client(t, "cit1"), "GET", "/api/v1/cross-region", nil, nil); resp.StatusCode != 403 {
			t.Errorf("citizen lists cross-region: %d", resp.StatusCode)
		}
		// An application that is not cross-region is not found here.
		var local casework.View
		if resp := s.call(t, s.client(t, "cit1"), "POST", "/api/v1/applications", map[string]any{"item_code": itemCitizen,
			"form":      map[string]string{"place": "滨江路"},
			"materials": []map[string]any{{"name": "申请表", "file": map[string]any{"name": "a.pdf", "data": pdf}}}}, &local); resp.StatusCode != 201 {
			t.Fatalf("local submit: %d", resp.StatusCode)
		}
		if resp := s.call(t, s.client(t, "clerk"), "GET", "/api/v1/cross-region/"+strconv.FormatInt(local.ID, 10), nil, nil); resp.StatusCode != 404 {
			t.Errorf("local application via cross-region: %d", resp.StatusCode)
		}
		// The page shows the receipt.
		if code, body := s.get(t, qs, "/cross-region/"+id); code != 200 || !strings.Contains(body, "承办甲") {
			t.Errorf("cross-region page after acknowledgement: %d", code)
		}
	})
}
