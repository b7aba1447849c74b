package admin_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/admin"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

// raw sends a body of any content type with a browser session.
func (f *fixture) raw(token, method, path, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: token})
	return f.serve(req)
}

// rawAPI sends a body of any content type with a bearer token.
func (f *fixture) rawAPI(token, method, path, contentType string, body []byte, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.serve(req)
}

// multipartBody returns a form-data body with fields, and its content type.
func multipartBody(fields map[string]string) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// BadBodies are bodies a replace-a-set route must refuse without changing
// anything: none carries a usable set.
type badBody struct {
	name        string
	contentType string
	body        []byte
}

func badFormBodies(field, value string) []badBody {
	full, ct := multipartBody(map[string]string{field: value, "step": "confirm"})
	noField, ct2 := multipartBody(map[string]string{"note": "x", "step": "confirm"})
	return []badBody{
		{"empty form", "application/x-www-form-urlencoded", nil},
		{"form without the field", "application/x-www-form-urlencoded", []byte("note=x&step=confirm")},
		{"no content type", "", []byte(field + "=" + url.QueryEscape(value))},
		{"plain text", "text/plain", []byte(field + "=" + url.QueryEscape(value))},
		{"json", "application/json", []byte(`{"` + field + `": []}`)},
		{"truncated multipart", ct, full[:len(full)/2]},
		{"multipart without the field", ct2, noField},
		{"broken urlencoded", "application/x-www-form-urlencoded", []byte("days=%zz&step=confirm")},
	}
}

func (f *fixture) year(y int) calendar.Year {
	f.t.Helper()
	got, err := f.cal.Store.GetYear(context.Background(), f.db, y)
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

func (f *fixture) revisions(kind, key string) []revision.Revision {
	f.t.Helper()
	rs, err := revision.Store{}.List(context.Background(), f.db, kind, key, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return rs
}

// TestCalendarCannotBeWiped sends the calendar's form and API every body
// that does not carry the year's days and checks that 2026 keeps all its
// days, with no audit entry and no revision.
func TestCalendarCannotBeWiped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		before := f.year(2026)
		if len(before.Days) < 30 {
			t.Fatalf("2026 seeded with %d days", len(before.Days))
		}
		unchanged := func(what string) {
			t.Helper()
			if got := f.year(2026); !reflect.DeepEqual(got, before) {
				t.Fatalf("%s changed 2026: %d days, had %d", what, len(got.Days), len(before.Days))
			}
			if n := len(f.auditEntries("calendar.*")); n != 0 {
				t.Fatalf("%s: %d calendar audit entries", what, n)
			}
			if n := len(f.revisions("calendar", "2026")); n != 0 {
				t.Fatalf("%s: %d revisions", what, n)
			}
		}
		for _, b := range badFormBodies("days", "2026-01-01 holiday 元旦") {
			rec := f.raw(tok, http.MethodPost, "/admin/calendar/2026", b.contentType, b.body)
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("%s: status %d, want 4xx", b.name, rec.Code)
			}
			unchanged(b.name)
		}
		// The statuses say why.
		expect(t, f.raw(tok, http.MethodPost, "/admin/calendar/2026", "text/plain", []byte("days=x")), http.StatusUnsupportedMediaType)
		rec := f.raw(tok, http.MethodPost, "/admin/calendar/2026", "application/x-www-form-urlencoded", []byte("note=x"))
		expect(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), `id="days-error"`) {
			t.Error("a form without days shows no error beside the field")
		}
		// An empty text is not a way to clear the year, nor is a confirm
		// without the version previewed.
		expect(t, f.post(tok, "/admin/calendar/2026", url.Values{"days": {""}, "step": {"confirm"}, "base": {"x"}}), http.StatusUnprocessableEntity)
		expect(t, f.post(tok, "/admin/calendar/2026", url.Values{"days": {"  \n# nothing\n"}}), http.StatusUnprocessableEntity)
		expect(t, f.post(tok, "/admin/calendar/2026", url.Values{"days": {"2026-01-01 holiday 元旦"}, "step": {"confirm"}}), http.StatusUnprocessableEntity)
		expect(t, f.post(tok, "/admin/calendar/2026", url.Values{"days": {"2026-01-01 holiday 元旦"}, "clear": {"1"}}), http.StatusUnprocessableEntity)
		expect(t, f.post(tok, "/admin/calendar/2026", url.Values{"days": {"2026-01-01 holiday 元\x00旦"}}), http.StatusUnprocessableEntity)
		unchanged("empty text")

		// The API: the whole set, explicitly.
		for name, body := range map[string]string{
			"no body":       "",
			"empty object":  `{}`,
			"null days":     `{"days": null}`,
			"empty days":    `{"days": []}`,
			"days a string": `{"days": "2026-01-01 holiday 元旦"}`,
			"days a number": `{"days": 39}`,
			"truncated":     `{"days": [{"date": "2026-01-01", "kind": "holiday", "na`,
		} {
			rec := f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026", "application/json", []byte(body))
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("API %s: status %d, want 4xx: %s", name, rec.Code, rec.Body.String())
			}
			unchanged("API " + name)
		}
		rec = f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026", "text/plain", []byte(`{"days": []}`))
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("API text/plain: status %d", rec.Code)
		}
		unchanged("API text/plain")
	})
}

var etagRE = regexp.MustCompile(`^"[0-9a-f]{64}"$`)

// TestCalendarPreviewStaleAndRestore: a save shows its changes first; a
// confirm made after someone else's change is refused with 409; every
// replacement keeps the year found, which the versions page restores
// (after its own preview), the restore being a new version.
func TestCalendarPreviewStaleAndRestore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		original := f.year(2026)
		text := admin.FormatDays(original.Days)
		// Drop New Year's Day, rename the last day.
		edited := strings.Replace(text, "2026-01-01 holiday 元旦\n", "", 1)
		form := url.Values{"note": {original.Note}, "days": {edited + "2026-12-31 holiday 测试\n"}}
		rec := f.post(tok, "/admin/calendar/2026", form)
		expect(t, rec, http.StatusOK)
		body := rec.Body.String()
		for _, want := range []string{"2026-01-01", "2026-12-31", `id="counts"`, `name="step" value="confirm"`} {
			if !strings.Contains(body, want) {
				t.Errorf("preview lacks %q", want)
			}
		}
		if !reflect.DeepEqual(f.year(2026), original) {
			t.Fatal("the preview saved")
		}
		base := baseRE.FindStringSubmatch(body)[1]

		// Someone else saves first.
		other := url.Values{"note": {original.Note}, "days": {text + "2026-12-30 holiday 其他\n"}}
		expect(t, f.confirm(tok, "/admin/calendar/2026", other), http.StatusSeeOther)
		afterOther := f.year(2026)
		confirm := url.Values{"base": {base}, "step": {"confirm"}}
		for k, v := range form {
			confirm[k] = v
		}
		rec = f.post(tok, "/admin/calendar/2026", confirm)
		expect(t, rec, http.StatusConflict)
		if !strings.Contains(rec.Body.String(), `id="stale"`) {
			t.Error("the stale confirm does not say the year changed")
		}
		if !reflect.DeepEqual(f.year(2026), afterOther) {
			t.Fatal("a stale confirm saved")
		}
		// The 409 page carries the new version: confirming it saves.
		base = baseRE.FindStringSubmatch(rec.Body.String())[1]
		confirm.Set("base", base)
		expect(t, f.post(tok, "/admin/calendar/2026", confirm), http.StatusSeeOther)
		if got := f.year(2026); len(got.Days) != len(original.Days) {
			t.Fatalf("after confirm 2026 has %d days, want %d", len(got.Days), len(original.Days))
		}

		// Versions: the seeded year (baseline), the other save, this one.
		revs := f.revisions("calendar", "2026")
		if len(revs) != 3 || revs[2].Reason != revision.ReasonBaseline || revs[0].Reason != revision.ReasonSave {
			t.Fatalf("revisions = %+v", revs)
		}
		list := f.get(tok, "/admin/revisions/calendar/2026")
		expect(t, list, http.StatusOK)
		if !strings.Contains(list.Body.String(), revision.Link("calendar", "2026")+"/") {
			t.Error("the versions page offers no restore")
		}
		baseline := revs[2]
		restorePath := revision.Link("calendar", "2026") + "/" + itoa(baseline.ID)
		pv := f.get(tok, restorePath)
		expect(t, pv, http.StatusOK)
		if !strings.Contains(pv.Body.String(), "2026-01-01") {
			t.Error("the restore preview does not show New Year's Day coming back")
		}
		base = baseRE.FindStringSubmatch(pv.Body.String())[1]
		// Refused without the previewed version, and when it is stale.
		expect(t, f.post(tok, restorePath, url.Values{"step": {"confirm"}}), http.StatusUnprocessableEntity)
		rec = f.post(tok, restorePath, url.Values{"base": {strings.Repeat("0", 64)}, "step": {"confirm"}})
		expect(t, rec, http.StatusConflict)
		rec = f.post(tok, restorePath, url.Values{"base": {base}, "step": {"confirm"}})
		expect(t, rec, http.StatusSeeOther)
		if got := f.year(2026); !reflect.DeepEqual(got, original) {
			t.Fatalf("restore gave %d days, want the original %d", len(got.Days), len(original.Days))
		}
		revs = f.revisions("calendar", "2026")
		if len(revs) != 4 || revs[0].Reason != revision.ReasonRestore || revs[0].RestoredFrom != baseline.ID {
			t.Fatalf("after restore revisions = %+v", revs)
		}
		entries := f.auditEntries("calendar.set_year")
		if len(entries) != 3 {
			t.Fatalf("%d calendar audit entries, want 3", len(entries))
		}

		// Only the root region's administrators see or restore versions.
		ft := f.signIn("ftadmin")
		expect(t, f.get(ft, "/admin/revisions/calendar/2026"), http.StatusForbidden)
		expect(t, f.post(ft, restorePath, url.Values{"base": {base}, "step": {"confirm"}}), http.StatusForbidden)
		expect(t, f.get(f.signIn("supervisor"), "/admin/revisions/calendar/2026"), http.StatusForbidden)
		expect(t, f.get(tok, "/admin/revisions/calendar/20x6"), http.StatusNotFound)
		expect(t, f.get(tok, "/admin/revisions/nosuch/2026"), http.StatusNotFound)
		expect(t, f.get(tok, revision.Link("calendar", "2027")+"/"+itoa(baseline.ID)), http.StatusNotFound)

		// Clearing a year is possible, but only as that choice.
		rec = f.post(tok, "/admin/calendar/2026", url.Values{"days": {""}, "clear": {"1"}})
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), `name="clear"`) {
			t.Error("the clear preview does not carry the clear choice to the confirm")
		}
		expect(t, f.confirm(tok, "/admin/calendar/2026", url.Values{"days": {""}, "clear": {"1"}}), http.StatusSeeOther)
		if n := len(f.year(2026).Days); n != 0 {
			t.Fatalf("cleared 2026 has %d days", n)
		}
	})
}

// TestCalendarAPIDryRunAndIfMatch: dry_run returns the changes without
// saving; If-Match with an old ETag is refused with 412.
func TestCalendarAPIDryRunAndIfMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		original := f.year(2026)
		get := f.api(tok, http.MethodGet, "/api/v1/calendar/years/2026", nil)
		expect(t, get, http.StatusOK)
		tag := get.Header().Get("ETag")
		if !etagRE.MatchString(tag) {
			t.Fatalf("ETag %q", tag)
		}
		body := []byte(`{"days": [{"date": "2026-01-01", "kind": "holiday", "name": "元旦"}]}`)
		rec := f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026?dry_run=true", "application/json", body, "If-Match", tag)
		expect(t, rec, http.StatusOK)
		var out struct {
			Changes []revision.Change
			Saved   bool
		}
		decode(t, rec, &out)
		// Every day but New Year's Day goes, and the note.
		if out.Saved || len(out.Changes) != len(original.Days) || out.Changes[len(out.Changes)-1].Key != "note" {
			t.Fatalf("dry run = %+v", out)
		}
		if !reflect.DeepEqual(f.year(2026), original) {
			t.Fatal("a dry run saved")
		}
		expect(t, f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026", "application/json", body,
			"If-Match", `"`+strings.Repeat("0", 64)+`"`), http.StatusPreconditionFailed)
		if !reflect.DeepEqual(f.year(2026), original) {
			t.Fatal("a stale If-Match saved")
		}
		rec = f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026", "application/json", body, "If-Match", tag)
		expect(t, rec, http.StatusOK)
		if got := f.year(2026); len(got.Days) != 1 {
			t.Fatalf("saved 2026 has %d days", len(got.Days))
		}
		if rec.Header().Get("ETag") == tag {
			t.Error("the ETag did not change with the year")
		}
		// The old tag is now stale; an explicit clear is accepted.
		expect(t, f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026", "application/json", []byte(`{"days": [], "clear": true}`),
			"If-Match", tag), http.StatusPreconditionFailed)
		expect(t, f.rawAPI(tok, http.MethodPut, "/api/v1/calendar/years/2026", "application/json", []byte(`{"days": [], "clear": true}`)),
			http.StatusOK)
		if revs := f.revisions("calendar", "2026"); len(revs) != 3 {
			t.Fatalf("revisions = %+v", revs)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestFlowsCannotBeWiped: bodies without a definition load nothing; a load
// is previewed and refused when another version came meanwhile; an
// earlier version is restored as the next one, after its preview.
func TestFlowsCannotBeWiped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		versions := func() int {
			var n int
			if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM flow_definitions").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, b := range badFormBodies("body", testDefinition) {
			rec := f.raw(tok, http.MethodPost, "/admin/flows", b.contentType, b.body)
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("%s: status %d, want 4xx", b.name, rec.Code)
			}
		}
		if n := versions(); n != 0 {
			t.Fatalf("%d definitions loaded by refused bodies", n)
		}
		expect(t, f.confirm(tok, "/admin/flows", url.Values{"body": {testDefinition}}), http.StatusSeeOther)
		v2 := strings.Replace(testDefinition, `"name": "办结"`, `"name": "办结（新）"`, 1)
		base := f.preview(tok, "/admin/flows", url.Values{"body": {v2}})
		// Someone loads another version first.
		v3 := strings.Replace(testDefinition, `"name": "已办结"`, `"name": "完成"`, 1)
		expect(t, f.confirm(tok, "/admin/flows", url.Values{"body": {v3}}), http.StatusSeeOther)
		rec := f.post(tok, "/admin/flows", url.Values{"body": {v2}, "base": {base}, "step": {"confirm"}})
		expect(t, rec, http.StatusConflict)
		if n := versions(); n != 2 {
			t.Fatalf("%d versions after a stale confirm, want 2", n)
		}
		// Restore version 1: previewed, refused when stale, then loaded
		// as version 3.
		rec = f.post(tok, "/admin/flows/test.simple/restore", url.Values{"version": {"1"}})
		expect(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), "已办结") {
			t.Error("the restore preview does not show the name coming back")
		}
		base = baseRE.FindStringSubmatch(rec.Body.String())[1]
		expect(t, f.post(tok, "/admin/flows/test.simple/restore", url.Values{"version": {"1"}, "base": {strings.Repeat("0", 64)}, "step": {"confirm"}}), http.StatusConflict)
		rec = f.post(tok, "/admin/flows/test.simple/restore", url.Values{"version": {"1"}, "base": {base}, "step": {"confirm"}})
		expect(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/admin/flows/test.simple?version=3" {
			t.Fatalf("restore redirect to %q", loc)
		}
		expect(t, f.post(tok, "/admin/flows/test.simple/restore", url.Values{"version": {"9"}}), http.StatusNotFound)
		expect(t, f.raw(tok, http.MethodPost, "/admin/flows/test.simple/restore", "text/plain", []byte("version=1")), http.StatusUnsupportedMediaType)
		expect(t, f.post(f.signIn("ftadmin"), "/admin/flows/test.simple/restore", url.Values{"version": {"1"}}), http.StatusForbidden)
	})
}

// TestUserRolesCannotBeWiped: the user form replaces roles and
// departments; a body that is not the whole form changes nothing.
func TestUserRolesCannotBeWiped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		tok := f.signIn("cityadmin")
		u := f.users["fthandler"]
		path := "/admin/users/" + itoa(u.ID)
		for _, b := range badFormBodies("display_name", "x") {
			rec := f.raw(tok, http.MethodPost, path, b.contentType, b.body)
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("%s: status %d, want 4xx", b.name, rec.Code)
			}
		}
		got, err := f.org.GetUser(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Roles, u.Roles) || !reflect.DeepEqual(got.DepartmentIDs, u.DepartmentIDs) || got.DisplayName != u.DisplayName {
			t.Fatalf("user changed: %+v", got)
		}
	})
}
