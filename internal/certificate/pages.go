package certificate

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/i18n"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

const pageSize = 20

// verifyData is what the public verification page renders: a result, or
// the form for a typed code with its error key.
type verifyData struct {
	Result *Result
	Token  string
	Code   string
	Error  string
}

// verifyForm is the public page where someone types the code printed under
// a certificate's QR code, or pastes the whole link, to check it. A code
// that is a token goes on to its verification page; anything else is
// refused with 422 and the form again, which changes nothing.
func (m *Module) verifyForm(w http.ResponseWriter, r *http.Request) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	if code == "" {
		m.s.Render(w, r, "certificate/verify.html", verifyData{})
		return
	}
	tok := code
	if i := strings.LastIndex(tok, "/verify/"); i >= 0 {
		tok = strings.TrimSuffix(tok[i+len("/verify/"):], "/")
	}
	if _, _, err := parseToken(tok); err != nil {
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "certificate/verify.html",
			verifyData{Code: code, Error: "certificate.verify.bad_code"})
		return
	}
	http.Redirect(w, r, "/verify/"+tok, http.StatusSeeOther)
}

func (m *Module) verifyPage(w http.ResponseWriter, r *http.Request) {
	res, err := m.Verify(r.Context(), r.PathValue("token"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Verdict == VerdictForged {
		status = http.StatusNotFound
	}
	if c := res.Certificate; c != nil {
		// The verdict changes by itself when the certificate becomes
		// valid or expires: a cached answer must not outlive that.
		if res.Verdict == VerdictNotYetValid {
			web.CacheUntil(w, c.ValidFrom)
		} else if c.ValidUntil != nil {
			web.CacheUntil(w, *c.ValidUntil)
		}
	}
	m.s.RenderStatus(w, r, status, "certificate/verify.html", verifyData{Result: res, Token: r.PathValue("token")})
}

// verifyURL is the address a certificate's QR code holds.
func (m *Module) verifyURL(r *http.Request, token string) string {
	base := strings.TrimSuffix(m.d.BaseURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/verify/" + token
}

func (m *Module) qrCode(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	if _, _, err := parseToken(token); err != nil {
		m.s.Error(w, r, http.StatusNotFound, "")
		return
	}
	text := m.verifyURL(r, token)
	var body []byte
	var err error
	if r.URL.Query().Get("format") == "png" {
		body, err = QRPNG(text)
		w.Header().Set("Content-Type", "image/png")
	} else {
		body, err = QRSVG(text)
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	// The picture depends only on the token and the address.
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(body)
}

// certView is one certificate as pages show it.
type certView struct {
	Certificate
	TypeName, Issuer string
	Fields           []fieldView
	Verdict          Verdict
}

type fieldView struct{ Label, Value string }

func (m *Module) view(ctx context.Context, lang string, c *Certificate) certView {
	v := certView{Certificate: *c}
	if t, err := m.typeInfo(ctx, c.TypeCode); err == nil {
		v.TypeName = pick(lang, t.Name, t.NameEn)
		for _, f := range t.Fields {
			if val := c.Fields[f.Key]; val != "" {
				v.Fields = append(v.Fields, fieldView{Label: pick(lang, f.Label, f.LabelEn), Value: val})
			}
		}
	}
	if d, err := m.department(ctx, c.IssuerDepartmentID); err == nil {
		v.Issuer = pick(lang, d.Name, d.NameEN)
	}
	now := m.d.Now()
	switch {
	case c.Status == StatusRevoked:
		v.Verdict = VerdictRevoked
	case now.Before(c.ValidFrom):
		v.Verdict = VerdictNotYetValid
	case !c.ValidUntil.IsZero() && !now.Before(c.ValidUntil):
		v.Verdict = VerdictExpired
	default:
		v.Verdict = VerdictValid
	}
	return v
}

func pick(lang, zh, en string) string {
	if lang == i18n.EN && en != "" {
		return en
	}
	return zh
}

func (m *Module) views(ctx context.Context, cs []Certificate) []certView {
	lang := i18n.LangFrom(ctx)
	out := make([]certView, 0, len(cs))
	for i := range cs {
		out = append(out, m.view(ctx, lang, &cs[i]))
	}
	return out
}

// myData is what the holder's page renders.
type myData struct {
	Certificates []certView
	CertsPager   web.Pager
	Uses         []UseRecord
	UsesPager    web.Pager
	Consents     []consentView
	Types        []Type
	Flash        string
	Problems     []*FieldError
	Form         url.Values
}

type consentView struct {
	Consent
	Scope, Department string
	Active            bool
}

func (m *Module) myPage(w http.ResponseWriter, r *http.Request) {
	m.renderMy(w, r, http.StatusOK, myData{Flash: flashKey(r.URL.Query().Get("ok"))})
}

func (m *Module) renderMy(w http.ResponseWriter, r *http.Request, status int, d myData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	certsAfter, err := web.Cursor(r, "certs_after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	usesAfter, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	// A business that holds thousands of licences sees them a page at a
	// time, like the log of their use.
	certs, cpg, err := m.Held(ctx, a, Query{Limit: pageSize, After: certsAfter})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Certificates, d.CertsPager = m.views(ctx, certs), web.KeysetPager(r, "certs_after", cpg.Count, cpg.Next.String())
	uses, pg, err := m.Uses(ctx, a, pageSize, usesAfter)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Uses, d.UsesPager = uses, web.KeysetPager(r, "after", pg.Count, pg.Next.String())
	consents, err := m.Consents(ctx, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	lang := i18n.LangFrom(ctx)
	now := m.d.Now()
	for _, c := range consents {
		cv := consentView{Consent: c, Active: c.ActiveAt(now)}
		if t, err := m.typeInfo(ctx, c.TypeCode); err == nil {
			cv.Scope = pick(lang, t.Name, t.NameEn)
		}
		if c.DepartmentID != 0 {
			if dp, err := m.department(ctx, c.DepartmentID); err == nil {
				cv.Department = pick(lang, dp.Name, dp.NameEN)
			}
		}
		d.Consents = append(d.Consents, cv)
	}
	if d.Types, err = m.Types(ctx); err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.RenderStatus(w, r, status, "certificate/my.html", d)
}

// actorRef returns the holder reference of the signed-in holder, for the
// consent forms: their enterprise, or themselves as a person.
func (m *Module) actorRef(ctx context.Context, a *auth.Actor) (HolderRef, bool) {
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		return EnterpriseRef(a.USCC), true
	}
	if a.Has(auth.RoleCitizen) {
		rev, err := m.d.Org.Reveal(ctx, m.d.DB, a.UserID)
		if err == nil && rev.CitizenID != "" {
			return PersonRef(rev.CitizenID), true
		}
	}
	return HolderRef{}, false
}

func (m *Module) grantConsent(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	ref, ok := m.actorRef(ctx, a)
	if !ok {
		m.renderMy(w, r, http.StatusUnprocessableEntity, myData{Problems: []*FieldError{invalid("holder", "账户未登记身份证号或统一社会信用代码 (no identity number or USCC on file)")}, Form: r.PostForm})
		return
	}
	in := ConsentInput{Holder: ref, TypeCode: r.PostForm.Get("type"), Purpose: r.PostForm.Get("purpose"), Actor: a}
	if id := r.PostForm.Get("certificate_id"); id != "" {
		in.CertificateID, _ = strconv.ParseInt(id, 10, 64)
		in.TypeCode = ""
	}
	if exp := r.PostForm.Get("expires"); exp != "" {
		t, err := time.ParseInLocation("2006-01-02", exp, cst)
		if err != nil {
			m.renderMy(w, r, http.StatusUnprocessableEntity, myData{Problems: []*FieldError{invalid("expires_at", "日期格式为 YYYY-MM-DD (date must be YYYY-MM-DD)")}, Form: r.PostForm})
			return
		}
		in.ExpiresAt = t.AddDate(0, 0, 1) // to the end of the day given
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.GrantConsent(ctx, tx, in)
		return err
	})
	if err != nil {
		if ps := fieldProblems(err); len(ps) > 0 {
			m.renderMy(w, r, http.StatusUnprocessableEntity, myData{Problems: ps, Form: r.PostForm})
			return
		}
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/my/certificates?ok=consent_granted", http.StatusSeeOther)
}

func (m *Module) revokeConsent(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	a := auth.FromContext(r.Context())
	err = m.d.DB.WithTx(r.Context(), func(ctx context.Context, tx store.Tx) error {
		return m.RevokeConsent(ctx, tx, id, a)
	})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/my/certificates?ok=consent_revoked", http.StatusSeeOther)
}

// flashKey maps ok= of a redirect to a message key, so no caller-supplied
// text is ever shown.
func flashKey(v string) string {
	switch v {
	case "consent_granted", "consent_revoked", "issued", "revoked", "requested", "answered":
		return "certificate.flash." + v
	}
	return ""
}

// fieldProblems collects the field errors in err.
func fieldProblems(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(e error) {
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// listData is what the issuing department's list renders.
type listData struct {
	Certificates []certView
	Pager        web.Pager
	Q            string
	Types        []Type
	CanIssue     bool
	Flash        string
}

func (m *Module) listPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) > 100 {
		m.s.Error(w, r, http.StatusBadRequest, "certificate.error.query_too_long")
		return
	}
	after, err := web.Cursor(r, "after")
	if err != nil {
		m.s.Error(w, r, http.StatusBadRequest, "web.problem.400")
		return
	}
	certs, pg, err := m.Issued(ctx, a, Query{Q: q, TypeCode: r.URL.Query().Get("type"),
		Limit: pageSize, After: after})
	if err != nil {
		m.fail(w, r, err)
		return
	}
	types, err := m.Types(ctx)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "certificate/list.html", listData{Certificates: m.views(ctx, certs), Pager: web.KeysetPager(r, "after", pg.Count, pg.Next.String()), Q: q,
		Types: types, CanIssue: a.HasAny(auth.RoleHandler, auth.RoleApprover), Flash: flashKey(r.URL.Query().Get("ok"))})
}

// newData is what the issue form renders.
type newData struct {
	Type        *Type
	Departments []deptOption
	Problems    []*FieldError
	Form        url.Values
}

type deptOption struct {
	ID   int64
	Name string
}

func (m *Module) departmentsOf(ctx context.Context, a *auth.Actor) []deptOption {
	lang := i18n.LangFrom(ctx)
	var out []deptOption
	for _, id := range a.DepartmentIDs {
		if d, err := m.department(ctx, id); err == nil {
			out = append(out, deptOption{ID: id, Name: pick(lang, d.Name, d.NameEN)})
		}
	}
	return out
}

func (m *Module) newPage(w http.ResponseWriter, r *http.Request) {
	// Without a type there is nothing to fill in yet: the issuing page
	// lists the types to choose from.
	if r.URL.Query().Get("type") == "" {
		http.Redirect(w, r, "/certificates", http.StatusSeeOther)
		return
	}
	t, err := m.GetType(r.Context(), m.d.DB, r.URL.Query().Get("type"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.s.Render(w, r, "certificate/new.html", newData{Type: t, Departments: m.departmentsOf(r.Context(), auth.FromContext(r.Context())), Form: url.Values{}})
}

func (m *Module) issue(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	f := r.PostForm
	t, err := m.GetType(ctx, m.d.DB, f.Get("type"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	dept, _ := strconv.ParseInt(f.Get("department_id"), 10, 64)
	in := IssueInput{TypeCode: t.Code, IssuerDepartmentID: dept, ApplicationRef: f.Get("application_ref"),
		Fields: map[string]string{}, Actor: a}
	if t.HolderKind == HolderPerson {
		in.Holder = Person(f.Get("holder_name"), f.Get("holder_id"))
	} else {
		in.Holder = Enterprise(f.Get("holder_name"), f.Get("holder_uscc"))
	}
	for _, fs := range t.Fields {
		if v := strings.TrimSpace(f.Get("f_" + fs.Key)); v != "" {
			in.Fields[fs.Key] = v
		}
	}
	var problems []*FieldError
	if v := f.Get("valid_from"); v != "" {
		if in.ValidFrom, err = time.ParseInLocation("2006-01-02", v, cst); err != nil {
			problems = append(problems, invalid("valid_from", "日期格式为 YYYY-MM-DD (date must be YYYY-MM-DD)"))
		}
	}
	var c *Certificate
	if len(problems) == 0 {
		err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			c, err = m.Issue(ctx, tx, in)
			return err
		})
		problems = fieldProblems(err)
		if err != nil && len(problems) == 0 {
			m.fail(w, r, err)
			return
		}
	}
	if len(problems) > 0 {
		m.s.RenderStatus(w, r, http.StatusUnprocessableEntity, "certificate/new.html",
			newData{Type: t, Departments: m.departmentsOf(ctx, a), Problems: problems, Form: f})
		return
	}
	http.Redirect(w, r, "/certificates/"+idText(c.ID)+"?ok=issued", http.StatusSeeOther)
}

// viewData is what the certificate page renders.
type viewData struct {
	Cert      certView
	CanRevoke bool
	Flash     string
	Problems  []*FieldError
	Renewal   *renewalOffer
}

// renewalOffer is the holder's way to renew an expiring certificate from
// its page: the item to apply under and by when.
type renewalOffer struct {
	Link, Item string
	// By is the last day to apply: 30 days before expiry (《行政许可法》
	// 第五十条); Late is set once it has passed.
	By   time.Time
	Late bool
}

// RenewalWindow is how long before expiry a holder is offered the renewal
// of a certificate on its page.
const RenewalWindow = 180 * 24 * time.Hour

// renewalFor returns the renewal offered to the holder of c now, nil when
// c does not expire soon or no item renews it.
func (m *Module) renewalFor(ctx context.Context, c *Certificate) *renewalOffer {
	now := m.now()
	if m.d.RenewalItem == nil || c.Status != StatusValid || c.ValidUntil.IsZero() || !c.ValidUntil.After(now) ||
		c.ValidUntil.Sub(now) > RenewalWindow {
		return nil
	}
	code, name, ok := m.d.RenewalItem(ctx, c.TypeCode)
	if !ok {
		return nil
	}
	by := c.ValidUntil.AddDate(0, 0, -30)
	return &renewalOffer{Link: "/apply/" + code + "?renew=" + idText(c.ID), Item: name, By: by, Late: now.After(by)}
}

func (m *Module) viewPage(w http.ResponseWriter, r *http.Request) {
	m.renderView(w, r, http.StatusOK, viewData{Flash: flashKey(r.URL.Query().Get("ok"))})
}

func (m *Module) renderView(w http.ResponseWriter, r *http.Request, status int, d viewData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	c, err := m.Get(ctx, id, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Cert = m.view(ctx, i18n.LangFrom(ctx), c)
	d.CanRevoke = c.Status == StatusValid && m.d.Policy.Authorize(a, auth.ActAdminister, c.object(0)) == nil
	if m.ownerFor(ctx, a, c) != 0 {
		d.Renewal = m.renewalFor(ctx, c)
	}
	m.s.RenderStatus(w, r, status, "certificate/view.html", d)
}

func (m *Module) revoke(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	// A certificate the caller may not even read is not found.
	if _, err := m.Get(ctx, id, a); err != nil {
		m.fail(w, r, err)
		return
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.Revoke(ctx, tx, id, r.PostForm.Get("reason"), a)
		return err
	})
	if ps := fieldProblems(err); len(ps) > 0 {
		m.renderView(w, r, http.StatusUnprocessableEntity, viewData{Problems: ps})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.Forget(id)
	http.Redirect(w, r, "/certificates/"+idText(id)+"?ok=revoked", http.StatusSeeOther)
}

// verificationsData is what the verification list renders.
type verificationsData struct {
	Items       []verificationView
	Types       []Type
	Departments []deptOption
	Flash       string
	Problems    []*FieldError
	Form        url.Values
}

type verificationView struct {
	Verification
	TypeName, From, Owner string
	Incoming              bool
}

func (m *Module) verificationView(ctx context.Context, a *auth.Actor, v *Verification) verificationView {
	lang := i18n.LangFrom(ctx)
	vv := verificationView{Verification: *v, Incoming: a.InDepartment(v.OwnerDepartmentID)}
	if t, err := m.typeInfo(ctx, v.TypeCode); err == nil {
		vv.TypeName = pick(lang, t.Name, t.NameEn)
	}
	if d, err := m.department(ctx, v.FromDepartmentID); err == nil {
		vv.From = pick(lang, d.Name, d.NameEN)
	}
	if d, err := m.department(ctx, v.OwnerDepartmentID); err == nil {
		vv.Owner = pick(lang, d.Name, d.NameEN)
	}
	return vv
}

func (m *Module) verificationsPage(w http.ResponseWriter, r *http.Request) {
	m.renderVerifications(w, r, http.StatusOK, verificationsData{Flash: flashKey(r.URL.Query().Get("ok")), Form: url.Values{}})
}

func (m *Module) renderVerifications(w http.ResponseWriter, r *http.Request, status int, d verificationsData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	vs, err := m.Verifications(ctx, a, 100)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	for i := range vs {
		d.Items = append(d.Items, m.verificationView(ctx, a, &vs[i]))
	}
	if d.Types, err = m.Types(ctx); err != nil {
		m.fail(w, r, err)
		return
	}
	d.Departments = m.departmentsOf(ctx, a)
	m.s.RenderStatus(w, r, status, "certificate/verifications.html", d)
}

func (m *Module) requestVerification(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	f := r.PostForm
	from, _ := strconv.ParseInt(f.Get("from_department_id"), 10, 64)
	if !a.InDepartment(from) {
		m.renderVerifications(w, r, http.StatusUnprocessableEntity, verificationsData{Form: f,
			Problems: []*FieldError{invalid("from_department_id", "请选择本人所在部门 (choose one of your departments)")}})
		return
	}
	in := VerificationRequest{FromDepartmentID: from, TypeCode: f.Get("type"), ApplicationRef: f.Get("application_ref"),
		Question: f.Get("question"), Actor: a}
	if f.Get("holder_uscc") != "" {
		in.Holder = Enterprise(f.Get("holder_name"), f.Get("holder_uscc"))
	} else {
		in.Holder = Person(f.Get("holder_name"), f.Get("holder_id"))
	}
	var v *Verification
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		v, err = m.RequestVerification(ctx, tx, in)
		return err
	})
	if ps := fieldProblems(err); len(ps) > 0 {
		m.renderVerifications(w, r, http.StatusUnprocessableEntity, verificationsData{Form: f, Problems: ps})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/certificates/verifications/"+idText(v.ID)+"?ok=requested", http.StatusSeeOther)
}

// verificationData is what one verification request's page renders.
type verificationData struct {
	V         verificationView
	CanAnswer bool
	// Match is the owner's own valid certificate for the holder, if any:
	// the answering officer checks against it.
	Match    *Certificate
	Flash    string
	Problems []*FieldError
}

func (m *Module) verificationPage(w http.ResponseWriter, r *http.Request) {
	m.renderVerification(w, r, http.StatusOK, verificationData{Flash: flashKey(r.URL.Query().Get("ok"))})
}

func (m *Module) renderVerification(w http.ResponseWriter, r *http.Request, status int, d verificationData) {
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	v, err := m.GetVerification(ctx, id, a)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.V = m.verificationView(ctx, a, v)
	d.CanAnswer = v.Status == "requested" && a.InDepartment(v.OwnerDepartmentID) && a.HasAny(auth.RoleHandler, auth.RoleApprover)
	if d.CanAnswer {
		d.Match = m.matchFor(ctx, v)
	}
	m.s.RenderStatus(w, r, status, "certificate/verification.html", d)
}

// matchFor finds a valid certificate of the request's type and holder.
func (m *Module) matchFor(ctx context.Context, v *Verification) *Certificate {
	c, err := scanCert(m.d.DB.QueryRowContext(ctx, `SELECT `+certCols+` FROM certificates WHERE holder_key = ? AND type_code = ?
		AND status = ? ORDER BY id DESC LIMIT 1`, v.holderKey, v.TypeCode, StatusValid))
	if err != nil || !c.ValidAt(m.d.Now()) || m.verifySignature(c) != nil {
		return nil
	}
	return c
}

func (m *Module) answer(w http.ResponseWriter, r *http.Request) {
	if !m.s.ParseForm(w, r) {
		return
	}
	ctx := r.Context()
	a := auth.FromContext(ctx)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		m.fail(w, r, ErrNotFound)
		return
	}
	if _, err := m.GetVerification(ctx, id, a); err != nil {
		m.fail(w, r, err)
		return
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.AnswerVerification(ctx, tx, id, r.PostForm.Get("result"), r.PostForm.Get("comment"), a)
		return err
	})
	if ps := fieldProblems(err); len(ps) > 0 {
		m.renderVerification(w, r, http.StatusUnprocessableEntity, verificationData{Problems: ps})
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/certificates/verifications/"+idText(id)+"?ok=answered", http.StatusSeeOther)
}

// fail answers an error that leaves no page to show.
func (m *Module) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch st := web.StatusOf(err); {
	case st == http.StatusNotFound:
		m.s.Error(w, r, st, "web.problem.404")
	case st == http.StatusForbidden:
		m.s.Error(w, r, st, "web.problem.403")
	case st == http.StatusConflict:
		key := "certificate.error.conflict"
		if errors.Is(err, ErrNoConsent) {
			key = "certificate.error.no_consent"
		}
		m.s.Error(w, r, st, key)
	case st == http.StatusUnprocessableEntity:
		m.s.Error(w, r, st, "certificate.error.invalid")
	default:
		m.s.Logger().ErrorContext(r.Context(), "certificate", "err", err, "route", r.Pattern)
		m.s.Error(w, r, http.StatusInternalServerError, "web.problem.500")
	}
}
