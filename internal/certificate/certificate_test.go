package certificate_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
	"github.com/yingshang/yingshang/internal/web"
)

var (
	uscc      = func() string { b := "91990102MA01YL8A1"; return b + string(ids.USCCCheck(b)) }()
	citizenID = func() string { b := "99010219900307123"; return b + string(ids.CitizenIDCheck(b)) }()
	otherID   = func() string { b := "99010219851111432"; return b + string(ids.CitizenIDCheck(b)) }()
)

// world is a server with three departments of one district (market
// regulation A, urban management B, health C), a handler in each, a
// citizen, another citizen and an enterprise user.
type world struct {
	t                   testing.TB
	deps                certificate.Deps
	sessions            *auth.Service
	db                  *store.DB
	m                   *certificate.Module
	eng                 *flow.Engine
	srv                 *httptest.Server
	now                 time.Time
	deptA, deptB, deptC int64
	users               map[string]int64
	handlerA, handlerB  *auth.Actor
	handlerC            *auth.Actor
}

func (w *world) clock() time.Time { return w.now }

func setup(t testing.TB, db *store.DB) *world {
	ctx := context.Background()
	w := &world{t: t, db: db, now: time.Date(2026, 9, 30, 2, 0, 0, 0, time.UTC), users: map[string]int64{}}
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	orgs := org.NewService(db, box, w.clock)
	orgs.Password = auth.TestPasswordParams
	sessions := auth.NewService(db, w.clock, auth.Options{Password: auth.TestPasswordParams})
	cal := calendar.New(calendar.Official())
	log := audit.New(w.clock)
	w.eng = flow.New(db, func() flow.Calendar { return cal }, log, w.clock)
	err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, r := range []org.Region{{Code: "990100", Name: "云澜市"}, {Code: "990102", Name: "临江区", ParentCode: "990100"}} {
			if _, err := orgs.CreateRegion(ctx, tx, r); err != nil {
				return err
			}
		}
		for code, p := range map[string]*int64{"A": &w.deptA, "B": &w.deptB, "C": &w.deptC} {
			d, err := orgs.CreateDepartment(ctx, tx, org.NewDepartment{Code: code, Name: "部门" + code, RegionCode: "990102"})
			if err != nil {
				return err
			}
			*p = d.ID
		}
		users := []org.NewUser{
			{Username: "han", DisplayName: "承办甲", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.deptA}},
			{Username: "hbn", DisplayName: "承办乙", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.deptB}},
			{Username: "hcn", DisplayName: "承办丙", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{w.deptC}},
			{Username: "cit1", DisplayName: "张三", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102", CitizenID: citizenID},
			{Username: "cit2", DisplayName: "李四", Roles: []auth.Role{auth.RoleCitizen}, RegionCode: "990102", CitizenID: otherID},
			{Username: "ent", DisplayName: "云澜味道 李娜", Roles: []auth.Role{auth.RoleEnterprise}, RegionCode: "990102", USCC: uscc},
		}
		for _, u := range users {
			u.Password = "Qiu-shui-2468"
			created, err := orgs.CreateUser(ctx, tx, u)
			if err != nil {
				return err
			}
			w.users[u.Username] = created.ID
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := func(name string, dept int64) *auth.Actor {
		return &auth.Actor{UserID: w.users[name], Name: name, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102", DepartmentIDs: []int64{dept}}
	}
	w.handlerA, w.handlerB, w.handlerC = staff("han", w.deptA), staff("hbn", w.deptB), staff("hcn", w.deptC)
	signer := certificate.NewEd25519Signer(ed25519.NewKeyFromSeed(make([]byte, 32)))
	w.deps = certificate.Deps{DB: db, Org: orgs, Audit: log, Flow: w.eng, Box: box, Signer: signer, Now: w.clock}
	w.sessions = sessions
	m, srv := w.build(t, 0)
	w.m, w.srv = m, srv
	if err := m.LoadDefinitions(ctx); err != nil {
		t.Fatal(err)
	}
	err = db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for _, typ := range certificate.DefaultTypes() {
			typ.IssuerDepartmentID = w.deptA
			if typ.Code == "CT-GGWS" {
				typ.IssuerDepartmentID = w.deptC
			}
			if err := m.DefineType(ctx, tx, typ, auth.System()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// build returns a module with cache TTL ttl (0: the default) and a
// server for it.
func (w *world) build(t testing.TB, ttl time.Duration) (*certificate.Module, *httptest.Server) {
	d := w.deps
	d.Policy, d.CacheTTL = auth.NewPolicy(), ttl
	m, err := certificate.New(d)
	if err != nil {
		t.Fatal(err)
	}
	s, err := web.New(web.Config{Sessions: w.sessions, DB: w.db, Modules: []web.Module{m}, Now: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return m, srv
}

// server returns the URL of a fresh server with cache TTL ttl.
func (w *world) server(t testing.TB, ttl time.Duration) string {
	_, srv := w.build(t, ttl)
	return srv.URL
}

var licenceFields = map[string]string{"entity_type": "有限责任公司", "legal_representative": "李娜",
	"established": "2024-05-06", "address": "云澜市临江区滨江路88号", "scope": "餐饮服务"}

func (w *world) issueLicence(actor *auth.Actor) *certificate.Certificate {
	w.t.Helper()
	var c *certificate.Certificate
	err := w.db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = w.m.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-SPJY", Holder: certificate.Enterprise("云澜味道餐饮有限公司", uscc),
			IssuerDepartmentID: w.deptA, Actor: actor, ApplicationRef: "YL2026-0001", Fields: map[string]string{
				"legal_representative": "李娜", "address": "滨江路88号", "main_form": "餐饮服务", "items": "热食类"}})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) issueID() *certificate.Certificate {
	w.t.Helper()
	var c *certificate.Certificate
	err := w.db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		c, err = w.m.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-SFZ", Holder: certificate.Person("张三", citizenID),
			IssuerDepartmentID: w.deptA, Actor: w.handlerA, Fields: map[string]string{
				"sex": "男", "ethnicity": "汉", "birth_date": "1990-03-07", "address": "幸福里12号"}})
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) tx(fn func(ctx context.Context, tx store.Tx) error) error {
	return w.db.WithTx(context.Background(), fn)
}

func (w *world) verdict(token string) certificate.Verdict {
	w.t.Helper()
	res, err := w.m.Verify(context.Background(), token)
	if err != nil {
		w.t.Fatal(err)
	}
	return res.Verdict
}

func TestVerifyLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.issueLicence(w.handlerA)
		if !strings.HasPrefix(c.Number, "JY9901022026") {
			t.Errorf("number %q: want JY + region + year + serial", c.Number)
		}
		if got := w.verdict(c.Token); got != certificate.VerdictValid {
			t.Fatalf("fresh certificate: %s", got)
		}
		// Five years on (the type's validity) it has expired, even though
		// the earlier answer was cached.
		w.now = w.now.AddDate(5, 0, 1)
		if got := w.verdict(c.Token); got != certificate.VerdictExpired {
			t.Errorf("past valid_until: %s, want expired", got)
		}
		w.now = w.now.AddDate(-5, 0, -1)
		// Revocation shows at once, despite the cache.
		if err := w.tx(func(ctx context.Context, tx store.Tx) error {
			_, err := w.m.Revoke(ctx, tx, c.ID, "许可被撤销", w.handlerA)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := w.verdict(c.Token); got != certificate.VerdictRevoked {
			t.Errorf("after revoke: %s", got)
		}
		// Revoking twice is a conflict.
		err := w.tx(func(ctx context.Context, tx store.Tx) error {
			_, err := w.m.Revoke(ctx, tx, c.ID, "again", w.handlerA)
			return err
		})
		if !errors.Is(err, certificate.ErrAlreadyDone) {
			t.Errorf("second revoke: %v", err)
		}
	})
}

func TestForgedTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.issueLicence(w.handlerA)
		other := w.issueLicence(w.handlerA)
		ctx := context.Background()
		// A token with the right id but another certificate's check.
		mixed := certificate.Token(c.ID, other.Signature)
		for name, tok := range map[string]string{"unknown id": certificate.Token(c.ID+100, c.Signature),
			"wrong check": mixed, "garbage": "!!notatoken", "empty-ish": "AA"} {
			if got := w.verdict(tok); got != certificate.VerdictForged {
				t.Errorf("%s: %s, want forged", name, got)
			}
		}
		// Tampering with a stored field: the signature no longer verifies.
		if _, err := db.ExecContext(ctx, `UPDATE certificates SET fields = ? WHERE id = ?`,
			`{"address":"滨江路99号","items":"热食类","legal_representative":"李娜","main_form":"餐饮服务"}`, c.ID); err != nil {
			t.Fatal(err)
		}
		w.m.Forget(c.ID)
		if got := w.verdict(c.Token); got != certificate.VerdictForged {
			t.Errorf("tampered field: %s, want forged", got)
		}
		// Tampering with the validity or the signature.
		if _, err := db.ExecContext(ctx, `UPDATE certificates SET valid_until = ? WHERE id = ?`, w.now.AddDate(50, 0, 0), other.ID); err != nil {
			t.Fatal(err)
		}
		if got := w.verdict(other.Token); got != certificate.VerdictForged {
			t.Errorf("tampered validity: %s, want forged", got)
		}
		// A forged certificate cannot serve as a shared material either.
		_, err := w.m.ValidFor(ctx, db, certificate.EnterpriseRef(uscc), "CT-SPJY", w.now)
		if !errors.Is(err, certificate.ErrNotFound) {
			t.Errorf("ValidFor with only tampered certificates: %v, want ErrNotFound", err)
		}
	})
}

func TestIssueRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		cases := []struct {
			name  string
			in    certificate.IssueInput
			field string
		}{
			{"bad uscc", certificate.IssueInput{TypeCode: "CT-SPJY", Holder: certificate.Enterprise("X", "91990102MA01YL8A10"),
				IssuerDepartmentID: w.deptA, Actor: w.handlerA}, "holder.uscc"},
			{"bad id", certificate.IssueInput{TypeCode: "CT-SFZ", Holder: certificate.Person("张三", "990102199003071230"),
				IssuerDepartmentID: w.deptA, Actor: w.handlerA}, "holder.id_number"},
			{"person for enterprise type", certificate.IssueInput{TypeCode: "CT-SPJY", Holder: certificate.Person("张三", citizenID),
				IssuerDepartmentID: w.deptA, Actor: w.handlerA}, "holder.kind"},
			{"bad date", certificate.IssueInput{TypeCode: "CT-YYZZ", Holder: certificate.Enterprise("X", uscc),
				IssuerDepartmentID: w.deptA, Actor: w.handlerA, Fields: map[string]string{"established": "2024/5/6"}}, "fields.established"},
			{"unknown type", certificate.IssueInput{TypeCode: "nope", Holder: certificate.Enterprise("X", uscc),
				IssuerDepartmentID: w.deptA, Actor: w.handlerA}, "type"},
		}
		for _, c := range cases {
			err := w.tx(func(ctx context.Context, tx store.Tx) error {
				_, err := w.m.Issue(ctx, tx, c.in)
				return err
			})
			if !hasField(err, c.field) || !errors.Is(err, certificate.ErrInvalid) {
				t.Errorf("%s: %v, want field error %s", c.name, err, c.field)
			}
		}
		// Another department's handler may not issue for department A.
		err := w.tx(func(ctx context.Context, tx store.Tx) error {
			_, err := w.m.Issue(ctx, tx, certificate.IssueInput{TypeCode: "CT-YYZZ", Holder: certificate.Enterprise("X", uscc),
				IssuerDepartmentID: w.deptA, Actor: w.handlerB, Fields: licenceFields})
			return err
		})
		if !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("issue for another department: %v", err)
		}
		var n int
		db.QueryRowContext(context.Background(), `SELECT count(*) FROM certificates`).Scan(&n)
		if n != 0 {
			t.Errorf("%d certificates stored after refusals", n)
		}
	})
}

func hasField(err error, field string) bool {
	var found bool
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*certificate.FieldError); ok && fe.Key == field {
			found = true
		}
		if u, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return found
}

func TestRevokeOnlyByIssuer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.issueLicence(w.handlerA)
		err := w.tx(func(ctx context.Context, tx store.Tx) error {
			_, err := w.m.Revoke(ctx, tx, c.ID, "越权注销", w.handlerB)
			return err
		})
		if !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("department B revokes A's certificate: %v", err)
		}
		// Through the page: B cannot even see it (404), and it stays valid.
		hb := w.client(t, "hbn")
		resp := w.post(t, hb, "/certificates/"+strconv.FormatInt(c.ID, 10)+"/revoke", url.Values{"reason": {"x"}})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("B posts revoke: %d, want 404", resp.StatusCode)
		}
		if got := w.verdict(c.Token); got != certificate.VerdictValid {
			t.Errorf("after refused revokes: %s", got)
		}
		// A's handler revokes through the page.
		ha := w.client(t, "han")
		if resp := w.post(t, ha, "/certificates/"+strconv.FormatInt(c.ID, 10)+"/revoke", url.Values{"reason": {""}}); resp.StatusCode != 422 {
			t.Errorf("revoke without reason: %d, want 422", resp.StatusCode)
		}
		if resp := w.post(t, ha, "/certificates/"+strconv.FormatInt(c.ID, 10)+"/revoke", url.Values{"reason": {"申请人注销"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("A revokes: %d", resp.StatusCode)
		}
		if got := w.verdict(c.Token); got != certificate.VerdictRevoked {
			t.Errorf("after A revokes: %s", got)
		}
		recs, _, err := audit.List(context.Background(), db, audit.Filter{Action: "certificate.revoke"})
		if err != nil || len(recs) != 1 || recs[0].ActorID != w.users["han"] {
			t.Errorf("audit certificate.revoke: %d records, %v", len(recs), err)
		}
	})
}

// TestVerifyForm checks the public form behind the home page's "verify a
// certificate" box: a typed code or a pasted link leads to the certificate's
// verification page; anything that is not a token is refused with 422.
func TestVerifyForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.issueID()
		anon := &http.Client{}
		if code, page := w.get(t, anon, "/verify"); code != 200 || !strings.Contains(page, `name="code"`) {
			t.Fatalf("empty form: %d", code)
		}
		for _, typed := range []string{c.Token, " " + c.Token + " ", "https://gov.example/verify/" + c.Token} {
			code, page := w.get(t, anon, "/verify?code="+url.QueryEscape(typed))
			if code != 200 || !strings.Contains(page, c.Number) {
				t.Errorf("code %q: %d, shows the number %v", typed, code, strings.Contains(page, c.Number))
			}
		}
		for _, bad := range []string{"not a code", "AAAA\x00", "/verify/../admin", "\u202eAAAA"} {
			code, page := w.get(t, anon, "/verify?code="+url.QueryEscape(bad))
			// Control characters are refused by the server's text check
			// before the form handler; the others by the form, marked.
			printable := !strings.ContainsAny(bad, "\x00\u202e")
			if code != http.StatusUnprocessableEntity || (printable && !strings.Contains(page, `aria-invalid="true"`)) {
				t.Errorf("bad code %q: %d", bad, code)
			}
		}
	})
}

func TestPublicPageHidesIDNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.issueID()
		anon := &http.Client{}
		code, page := w.get(t, anon, "/verify/"+c.Token)
		if code != 200 || !strings.Contains(page, "张*") || !strings.Contains(page, c.Number) {
			t.Fatalf("public page: %d, masked name %v, number %v", code, strings.Contains(page, "张*"), strings.Contains(page, c.Number))
		}
		code, api := w.get(t, anon, "/api/v1/certificates/verify/"+c.Token)
		var res certificate.Result
		if code != 200 || json.Unmarshal([]byte(api), &res) != nil || res.Verdict != certificate.VerdictValid || res.Certificate.HolderName != "张*" {
			t.Fatalf("API: %d %s", code, api)
		}
		for _, body := range []string{page, api} {
			if strings.Contains(body, citizenID) || strings.Contains(body, citizenID[:6]+"*") || strings.Contains(body, "张三") {
				t.Errorf("public answer shows the identity number or the full name")
			}
		}
		// Unknown tokens: forged, 404 on the page, 200 with verdict in the API.
		if code, _ := w.get(t, anon, "/verify/AAAAAAAAAAAAAAAA"); code != http.StatusNotFound {
			t.Errorf("unknown token page: %d", code)
		}
		if _, api := w.get(t, anon, "/api/v1/certificates/verify/AAAAAAAAAAAAAAAA"); !strings.Contains(api, `"forged"`) {
			t.Errorf("unknown token API: %s", api)
		}
		// The QR code is served as SVG and PNG.
		resp, err := anon.Get(w.srv.URL + "/verify/" + c.Token + "/qr")
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("QR SVG: %v %v", err, resp.Status)
		}
		resp.Body.Close()
		resp, err = anon.Get(w.srv.URL + "/verify/" + c.Token + "/qr?format=png")
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(string(b), "\x89PNG") {
			t.Errorf("QR PNG: %v %v", err, resp.Status)
		}
		// The holder's own view page shows the number masked, with the QR.
		cit := w.client(t, "cit1")
		code, view := w.get(t, cit, "/certificates/"+strconv.FormatInt(c.ID, 10))
		if code != 200 || strings.Contains(view, citizenID) || !strings.Contains(view, pii.MaskID(citizenID)) || !strings.Contains(view, "/qr") {
			t.Errorf("holder's view: %d", code)
		}
		// Another citizen cannot open it.
		if code, _ := w.get(t, w.client(t, "cit2"), "/certificates/"+strconv.FormatInt(c.ID, 10)); code != 404 {
			t.Errorf("other citizen opens the certificate: %d", code)
		}
	})
}

func TestUseNeedsConsentAndIsLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		c := w.issueLicence(w.handlerA)
		use := certificate.UseInput{CertificateID: c.ID, DepartmentID: w.deptB, Actor: w.handlerB,
			ApplicationRef: "YL2026-0042", Purpose: "户外广告设置许可申请"}
		useIt := func(in certificate.UseInput) (*certificate.Certificate, error) {
			var got *certificate.Certificate
			err := w.tx(func(ctx context.Context, tx store.Tx) error {
				var err error
				got, err = w.m.Use(ctx, tx, in)
				return err
			})
			return got, err
		}
		if _, err := useIt(use); !errors.Is(err, certificate.ErrNoConsent) {
			t.Fatalf("use without consent: %v, want ErrNoConsent", err)
		}
		// Another citizen cannot consent on the enterprise's behalf.
		cit2 := &auth.Actor{UserID: w.users["cit2"], Roles: []auth.Role{auth.RoleCitizen}}
		err := w.tx(func(ctx context.Context, tx store.Tx) error {
			_, err := w.m.GrantConsent(ctx, tx, certificate.ConsentInput{Holder: certificate.EnterpriseRef(uscc),
				TypeCode: "CT-SPJY", Purpose: "x", Actor: cit2})
			return err
		})
		if !errors.Is(err, auth.ErrForbidden) {
			t.Fatalf("consent by a stranger: %v", err)
		}
		// The enterprise consents through its page, for department B only.
		ent := w.client(t, "ent")
		if resp := w.post(t, ent, "/my/certificates/consents", url.Values{"type": {"CT-SPJY"}, "purpose": {""}}); resp.StatusCode != 422 {
			t.Errorf("consent without purpose: %d, want 422", resp.StatusCode)
		}
		if resp := w.post(t, ent, "/my/certificates/consents", url.Values{"type": {"CT-SPJY"}, "purpose": {"办理户外广告许可"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("grant consent: %d", resp.StatusCode)
		}
		got, err := useIt(use)
		if err != nil {
			t.Fatalf("use with consent: %v", err)
		}
		if got.Number != c.Number {
			t.Errorf("used %s, want %s", got.Number, c.Number)
		}
		// A staff member cannot use it for a department they do not work in.
		bad := use
		bad.DepartmentID = w.deptC
		if _, err := useIt(bad); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("use for a foreign department: %v", err)
		}
		// The holder sees the use; other holders do not.
		uses, pg, err := w.m.Uses(ctx, &auth.Actor{UserID: w.users["ent"], Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc}, 20, store.Cursor{})
		if total := pg.Count; err != nil || total != 1 || uses[0].ApplicationRef != "YL2026-0042" || uses[0].DepartmentID != w.deptB || uses[0].ActorName != "hbn" {
			t.Fatalf("holder's use log: %v %d %+v", err, total, uses)
		}
		if _, page := w.get(t, ent, "/my/certificates"); !strings.Contains(page, "YL2026-0042") || !strings.Contains(page, "部门B") {
			t.Errorf("holder's page lacks the use")
		}
		if _, page := w.get(t, w.client(t, "cit2"), "/my/certificates"); strings.Contains(page, "YL2026-0042") {
			t.Errorf("another holder sees the use")
		}
		if code, _ := w.get(t, w.client(t, "hbn"), "/my/certificates"); code != http.StatusForbidden {
			t.Errorf("staff opens the holder page: %d", code)
		}
		// Withdrawing the consent stops further use.
		consents, _ := w.m.Consents(ctx, &auth.Actor{UserID: w.users["ent"], Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc})
		if len(consents) != 1 {
			t.Fatalf("%d consents", len(consents))
		}
		if resp := w.post(t, ent, "/my/certificates/consents/"+strconv.FormatInt(consents[0].ID, 10)+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d", resp.StatusCode)
		}
		if _, err := useIt(use); !errors.Is(err, certificate.ErrNoConsent) {
			t.Errorf("use after withdrawal: %v", err)
		}
		recs, _, _ := audit.List(ctx, db, audit.Filter{Action: "certificate.use"})
		if len(recs) != 1 {
			t.Errorf("%d audited uses, want 1", len(recs))
		}
	})
}

func TestValidFor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		if _, err := w.m.ValidFor(ctx, db, certificate.PersonRef(citizenID), "CT-SFZ", w.now); !errors.Is(err, certificate.ErrNotFound) {
			t.Errorf("none issued: %v", err)
		}
		c := w.issueID()
		got, err := w.m.ValidFor(ctx, db, certificate.PersonRef(strings.ToLower(citizenID)), "CT-SFZ", w.now)
		if err != nil || got.ID != c.ID {
			t.Fatalf("ValidFor: %v", err)
		}
		if _, err := w.m.ValidFor(ctx, db, certificate.PersonRef(otherID), "CT-SFZ", w.now); !errors.Is(err, certificate.ErrNotFound) {
			t.Errorf("other person: %v", err)
		}
		if _, err := w.m.ValidFor(ctx, db, certificate.PersonRef(citizenID), "CT-SFZ", w.now.AddDate(21, 0, 0)); !errors.Is(err, certificate.ErrNotFound) {
			t.Errorf("after expiry: %v", err)
		}
	})
}

func TestVerificationRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		var v *certificate.Verification
		err := w.tx(func(ctx context.Context, tx store.Tx) error {
			var err error
			v, err = w.m.RequestVerification(ctx, tx, certificate.VerificationRequest{FromDepartmentID: w.deptA,
				TypeCode: "CT-GGWS", Holder: certificate.Enterprise("云澜味道餐饮有限公司", uscc),
				ApplicationRef: "YL2026-0077", Question: "是否持有公共场所卫生许可证？", Actor: w.handlerA})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if v.OwnerDepartmentID != w.deptC {
			t.Errorf("owner %d, want the type's issuer %d", v.OwnerDepartmentID, w.deptC)
		}
		// The task is in C's inbox with a two-working-day limit, not in B's.
		items, _, err := w.eng.Inbox(ctx, db, w.handlerC, flow.InboxQuery{Limit: 10})
		if err != nil || len(items) != 1 || items[0].ID != v.InstanceID {
			t.Fatalf("C's inbox: %v %d", err, len(items))
		}
		if due := items[0].StateDueAt.In(calendar.CST).Format("2006-01-02"); due != "2026-10-09" {
			// 2026-09-30 + 2 working days over the National Day holiday.
			t.Errorf("due %s", due)
		}
		if items, _, _ := w.eng.Inbox(ctx, db, w.handlerB, flow.InboxQuery{Limit: 10}); len(items) != 0 {
			t.Errorf("B's inbox holds %d", len(items))
		}
		// The asking department cannot answer its own request.
		answer := func(a *auth.Actor, result string) error {
			return w.tx(func(ctx context.Context, tx store.Tx) error {
				_, err := w.m.AnswerVerification(ctx, tx, v.ID, result, "经核查属实", a)
				return err
			})
		}
		if err := answer(w.handlerA, certificate.ResultConfirmed); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("asking department answers: %v", err)
		}
		if err := answer(w.handlerC, "maybe"); !errors.Is(err, certificate.ErrInvalid) {
			t.Errorf("bad result: %v", err)
		}
		// C answers through the page.
		hc := w.client(t, "hcn")
		path := "/certificates/verifications/" + strconv.FormatInt(v.ID, 10)
		if code, page := w.get(t, hc, path); code != 200 || !strings.Contains(page, `value="confirmed"`) {
			t.Fatalf("C's request page: %d", code)
		}
		if code, _ := w.get(t, w.client(t, "hbn"), path); code != 404 {
			t.Errorf("B opens the request: %d", code)
		}
		if resp := w.post(t, hc, path+"/answer", url.Values{"result": {"confirmed"}, "comment": {"档案可查"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("answer: %d", resp.StatusCode)
		}
		in, _ := w.eng.Instance(ctx, v.InstanceID)
		if in.Status != flow.StatusDone {
			t.Errorf("task status %s, want done", in.Status)
		}
		got, err := w.m.GetVerification(ctx, v.ID, w.handlerA)
		if err != nil || got.Result != certificate.ResultConfirmed || got.Answer != "档案可查" {
			t.Errorf("asking department sees %+v, %v", got, err)
		}
		if err := answer(w.handlerC, certificate.ResultDenied); !errors.Is(err, certificate.ErrAlreadyDone) {
			t.Errorf("second answer: %v", err)
		}
	})
}

func TestIssueThroughPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ha := w.client(t, "han")
		if code, page := w.get(t, ha, "/certificates/new?type=CT-SFZ"); code != 200 || !strings.Contains(page, `name="holder_id"`) {
			t.Fatalf("issue form: %d", code)
		}
		form := url.Values{"type": {"CT-SFZ"}, "department_id": {strconv.FormatInt(w.deptA, 10)}, "holder_name": {"张三"},
			"holder_id": {"990102199003071230"}, "f_sex": {"男"}, "f_ethnicity": {"汉"}, "f_birth_date": {"1990-03-07"}, "f_address": {"幸福里"}}
		if resp := w.post(t, ha, "/certificates", form); resp.StatusCode != 422 {
			t.Errorf("bad ID number: %d, want 422", resp.StatusCode)
		}
		form.Set("holder_id", citizenID)
		resp := w.post(t, ha, "/certificates", form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("issue: %d", resp.StatusCode)
		}
		if code, page := w.get(t, ha, "/certificates?q="+url.QueryEscape("张")); code != 200 || !strings.Contains(page, "SF990102") || strings.Contains(page, citizenID) {
			t.Errorf("list: %d", code)
		}
		if _, page := w.get(t, w.client(t, "hbn"), "/certificates"); strings.Contains(page, "SF990102") {
			t.Errorf("B's list shows A's certificate")
		}
	})
}

// client signs in as username and returns a client carrying the cookie.
func (w *world) client(t *testing.T, username string) *http.Client {
	t.Helper()
	jar := &cookieJar{}
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := w.post(t, c, "/signin", url.Values{"username": {username}, "password": {"Qiu-shui-2468"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d", username, resp.StatusCode)
	}
	return c
}

func (w *world) post(t *testing.T, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", w.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (w *world) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	resp, err := c.Get(w.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

// The public verification page is cached for anonymous visitors, but a
// cached "valid" never outlives the certificate: it turns "expired" on time
// and "revoked" at once.
func TestVerifyPageCacheFollowsTheCertificate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		c := w.issueLicence(w.handlerA)
		anon := &http.Client{}
		verdict := func() string {
			t.Helper()
			resp, err := anon.Get(w.srv.URL + "/verify/" + c.Token)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			for _, v := range []string{"valid", "expired", "revoked", "not_yet_valid"} {
				if strings.Contains(string(b), "verdict-"+v+`"`) {
					if resp.Header.Get("ETag") == "" {
						t.Errorf("%s answer without ETag", v)
					}
					return v
				}
			}
			return "status " + resp.Status
		}
		if v := verdict(); v != "valid" {
			t.Fatalf("fresh certificate: %s", v)
		}
		if v := verdict(); v != "valid" {
			t.Fatalf("fresh certificate, again: %s", v)
		}
		w.now = w.now.AddDate(5, 0, 1)
		if v := verdict(); v != "expired" {
			t.Errorf("past valid_until: %s, want expired", v)
		}
		w.now = w.now.AddDate(-5, 0, -1)
		verdict() // valid again, cached
		if err := w.tx(func(ctx context.Context, tx store.Tx) error {
			_, err := w.m.Revoke(ctx, tx, c.ID, "许可被撤销", w.handlerA)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if v := verdict(); v != "revoked" {
			t.Errorf("after revoke: %s, want revoked", v)
		}
	})
}

// TestIssuedPages pages a department's issued certificates newest first by
// keyset: the pages meet without a gap or a repeat, the count is the whole
// list's, and another department sees none of them.
func TestIssuedPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		var want []int64
		for range 5 {
			want = append([]int64{w.issueLicence(w.handlerA).ID}, want...)
		}
		var got []int64
		var after store.Cursor
		for page := 0; page < 5; page++ {
			certs, pg, err := w.m.Issued(context.Background(), w.handlerA, certificate.Query{Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != 5 {
				t.Errorf("count %d, want 5", pg.Count)
			}
			for _, c := range certs {
				got = append(got, c.ID)
			}
			if after = pg.Next; after.IsZero() {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v (newest first)", got, want)
		}
		other := &auth.Actor{UserID: 999, Roles: []auth.Role{auth.RoleHandler}, DepartmentIDs: []int64{w.deptA + 1000}}
		if certs, pg, _ := w.m.Issued(context.Background(), other, certificate.Query{}); len(certs) != 0 || pg.Count != 0 {
			t.Errorf("another department sees %d certificates", len(certs))
		}
	})
}

// TestHeldPages pages a holder's certificates newest first by keyset, as
// /my/certificates and the API's certificates/mine do: the pages meet
// without a gap or a repeat, the count is the holder's, and an enterprise
// that holds none sees none.
func TestHeldPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		ctx := context.Background()
		holder := &auth.Actor{UserID: w.users["ent"], Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc}
		before, _, err := w.m.Held(ctx, holder, certificate.Query{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for range 5 {
			want = append([]int64{w.issueLicence(w.handlerA).ID}, want...)
		}
		for _, c := range before {
			want = append(want, c.ID)
		}
		var got []int64
		var after store.Cursor
		for page := 0; page < 10; page++ {
			certs, pg, err := w.m.Held(ctx, holder, certificate.Query{Limit: 2, After: after})
			if err != nil {
				t.Fatal(err)
			}
			if pg.Count != len(want) {
				t.Errorf("count %d, want %d", pg.Count, len(want))
			}
			for _, c := range certs {
				got = append(got, c.ID)
			}
			if after = pg.Next; after.IsZero() {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages %v, want %v (newest first)", got, want)
		}
		other := &auth.Actor{UserID: w.users["ent"], Roles: []auth.Role{auth.RoleEnterprise}, USCC: "91330100MA27XXXX0X"}
		if certs, pg, _ := w.m.Held(ctx, other, certificate.Query{}); len(certs) != 0 || pg.Count != 0 {
			t.Errorf("another enterprise holds %d certificates", len(certs))
		}
	})
}
