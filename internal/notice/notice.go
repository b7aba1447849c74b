// Package notice issues the written documents an applicant receives at the
// steps of a case under 行政许可法: the 受理通知书 and 不予受理通知书 and
// the 补正材料通知书 (第三十二条), the 延期通知 (第四十二条), the notice of
// a period not counted in the limit (第四十五条), and the decisions with
// their reasons and, for a refusal, the right to 行政复议 or 行政诉讼 and
// their limits (第三十八条).
//
// Each document is numbered and dated, and its content is stored exactly
// as it was signed with the e-certificates' key, so the QR code printed on
// it verifies that what the applicant holds is what the agency issued.
// The package implements casework.Notices: a step of the case issues its
// document in the step's own transaction, so no step commits without it.
package notice

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// Remedies are the time limits a refusal tells the applicant of. They are
// national law (行政复议法 第二十条: 60 days; 行政诉讼法 第四十六条: six
// months), kept as configuration so that a special law's other limit or
// a named review organ can be set without a code change.
type Remedies struct {
	// ReviewDays is the time to apply for 行政复议, in days from receipt.
	ReviewDays int
	// LitigationMonths is the time to bring 行政诉讼, in months from receipt.
	LitigationMonths int
	// ReviewOrgan names the 行政复议机关; empty says "依法" without a name
	// (under 行政复议法 2023 it is usually the people's government at the
	// agency's level).
	ReviewOrgan string
}

// DefaultRemedies are the national limits.
func DefaultRemedies() Remedies {
	return Remedies{ReviewDays: 60, LitigationMonths: 6}
}

// Deps are what the issuer needs.
type Deps struct {
	DB    *store.DB
	Audit *audit.Log
	// Signer signs the documents and Verifier checks them: the
	// e-certificates' key and key ring.
	Signer   certificate.Signer
	Verifier certificate.Verifier
	// Department names a department (the issuing agency).
	Department func(ctx context.Context, id int64) string
	// CanRead says whether a may read application id (casework's own
	// policy: the applicant, their agent, staff in scope), answering an
	// error otherwise. A document is readable exactly when its case is.
	CanRead func(ctx context.Context, a *auth.Actor, applicationID int64) error
	// BaseURL is the public address written into the QR code; empty uses
	// the request's host on pages and a relative path elsewhere.
	BaseURL  string
	Remedies Remedies
	Now      func() time.Time
}

// Module issues, lists and verifies the documents.
type Module struct {
	d Deps
	s *web.Server
}

// New checks d and returns the module.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Audit == nil || d.Signer == nil || d.CanRead == nil {
		return nil, errors.New("notice: DB, Audit, Signer and CanRead are required")
	}
	if d.Verifier == nil {
		es, ok := d.Signer.(*certificate.Ed25519Signer)
		if !ok {
			return nil, errors.New("notice: a Verifier is required for this signer")
		}
		d.Verifier = certificate.NewKeyRing(es.PublicKey())
	}
	if d.Department == nil {
		d.Department = func(context.Context, int64) string { return "" }
	}
	def := DefaultRemedies()
	if d.Remedies.ReviewDays <= 0 {
		d.Remedies.ReviewDays = def.ReviewDays
	}
	if d.Remedies.LitigationMonths <= 0 {
		d.Remedies.LitigationMonths = def.LitigationMonths
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Module{d: d}, nil
}

// contentVersion begins every signed payload.
const contentVersion = "yingshang-notice-v1"

// tokenDomain keeps notice tokens apart from certificates' and reports'.
const tokenDomain = "yingshang-notice-token"

// Content is a document as signed: everything printed on it.
type Content struct {
	Version string `json:"version"`
	Number  string `json:"number"`
	Kind    string `json:"kind"`
	Title   string `json:"title"`
	// Applicant is the addressee; ApplicantCode their masked ID number or
	// their unified social credit code.
	Applicant     string `json:"applicant"`
	ApplicantCode string `json:"applicant_code,omitempty"`
	Application   string `json:"application"`
	Item          string `json:"item"`
	Department    string `json:"department"`
	// Paragraphs are the body before the list, Items the enumerated list
	// (the materials to correct, the missing materials and the like).
	Paragraphs []string `json:"paragraphs"`
	Items      []string `json:"items,omitempty"`
	// After are the paragraphs that follow the list.
	After []string `json:"after,omitempty"`
	// Until is the date the document sets (YYYY-MM-DD), if any.
	Until string `json:"until,omitempty"`
	// Remedies is the paragraph on 行政复议 and 行政诉讼, if any.
	Remedies string `json:"remedies,omitempty"`
	IssuedOn string `json:"issued_on"`
}

// Notice is a stored document.
type Notice struct {
	ID            int64     `json:"id"`
	Kind          string    `json:"kind"`
	ApplicationID int64     `json:"application_id"`
	Content       Content   `json:"content"`
	IssuedAt      time.Time `json:"issued_at"`
	Algorithm     string    `json:"algorithm"`
	KeyID         string    `json:"key_id"`
	// Token is what the QR code carries; Genuine says whether the
	// signature holds over the stored content.
	Token   string `json:"token"`
	Genuine bool   `json:"genuine"`

	raw string
	sig []byte
}

// Summary is the public face of a document: what anyone holding it may
// confirm without learning the case (no reasons, no materials, the
// person's name masked).
type Summary struct {
	Number      string    `json:"number"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title"`
	Applicant   string    `json:"applicant" doc:"A person's name is masked"`
	Application string    `json:"application"`
	Item        string    `json:"item"`
	Department  string    `json:"department"`
	IssuedOn    string    `json:"issued_on"`
	IssuedAt    time.Time `json:"issued_at"`
	Genuine     bool      `json:"genuine"`
}

// Public returns the summary of n.
func (n *Notice) Public() Summary {
	name := n.Content.Applicant
	if !isUSCC(n.Content.ApplicantCode) {
		name = pii.MaskName(name)
	}
	return Summary{Number: n.Content.Number, Kind: n.Kind, Title: n.Content.Title, Applicant: name,
		Application: n.Content.Application, Item: n.Content.Item, Department: n.Content.Department,
		IssuedOn: n.Content.IssuedOn, IssuedAt: n.IssuedAt, Genuine: n.Genuine}
}

// isUSCC tells an enterprise's code (18 characters, no mask) from a
// person's masked ID number.
func isUSCC(code string) bool { return len(code) == 18 && !strings.Contains(code, "*") }

// payload is what the signature covers: the version and the content
// exactly as stored.
func payload(raw string) []byte { return []byte(contentVersion + "\n" + raw) }

// Issue writes, numbers and signs the document req asks for in tx: it
// implements casework.Notices.
func (m *Module) Issue(ctx context.Context, tx store.IDB, req casework.NoticeRequest) (casework.NoticeRef, error) {
	app := req.App
	if app == nil || app.ID == 0 {
		return casework.NoticeRef{}, errors.New("notice: no application")
	}
	spec, ok := kinds[req.Kind]
	if !ok {
		return casework.NoticeRef{}, fmt.Errorf("notice: unknown kind %q", req.Kind)
	}
	at := req.At
	if at.IsZero() {
		at = m.d.Now()
	}
	at = store.Time(at)
	c := m.compose(ctx, spec, req, at)
	var tmp [8]byte
	if _, err := rand.Read(tmp[:]); err != nil {
		return casework.NoticeRef{}, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO notices (number, kind, application_id, application_number,
		department_id, content, issued_at, issued_by, algorithm, key_id, signature)
		VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, '') RETURNING id`,
		"tmp-"+hex.EncodeToString(tmp[:]), string(req.Kind), app.ID, app.Number, app.DepartmentID, at, req.ActorID,
		m.d.Signer.Algorithm(), m.d.Signer.KeyID()).Scan(&id); err != nil {
		return casework.NoticeRef{}, fmt.Errorf("notice: %s of %s: %w", req.Kind, app.Number, err)
	}
	c.Number = fmt.Sprintf("%s%s%06d", spec.prefix, at.In(cst).Format("20060102"), id)
	raw, err := json.Marshal(c)
	if err != nil {
		return casework.NoticeRef{}, err
	}
	sig, err := m.d.Signer.Sign(payload(string(raw)))
	if err != nil {
		return casework.NoticeRef{}, fmt.Errorf("notice: sign %s: %w", c.Number, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE notices SET number = ?, content = ?, signature = ? WHERE id = ?`,
		c.Number, string(raw), base64.StdEncoding.EncodeToString(sig), id); err != nil {
		return casework.NoticeRef{}, fmt.Errorf("notice: %s: %w", c.Number, err)
	}
	actor := req.ActorName
	if actor == "" {
		actor = "系统（自动）"
	}
	if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: req.ActorID, ActorName: actor, Action: "notice.issue",
		ObjectType: "notice", ObjectID: strconv.FormatInt(id, 10),
		Detail: map[string]any{"number": c.Number, "kind": req.Kind, "application": app.Number}}); err != nil {
		return casework.NoticeRef{}, fmt.Errorf("notice: audit %s: %w", c.Number, err)
	}
	tok := certificate.DomainToken(tokenDomain, id, sig)
	return casework.NoticeRef{ID: id, Number: c.Number, Kind: req.Kind, Title: c.Title, IssuedAt: at,
		VerifyURL: m.verifyURL("", tok)}, nil
}

// verifyURL is the address a document's QR code holds: BaseURL, else
// host (scheme://host of the request), else a path.
func (m *Module) verifyURL(host, token string) string {
	base := strings.TrimSuffix(m.d.BaseURL, "/")
	if base == "" {
		base = host
	}
	return base + "/notices/verify/" + token
}

const noticeCols = `id, kind, application_id, content, issued_at, algorithm, key_id, signature`

// load reads document id and checks its signature.
func (m *Module) load(ctx context.Context, id int64) (*Notice, error) {
	var n Notice
	var sig string
	err := m.d.DB.QueryRowContext(ctx, "SELECT "+noticeCols+" FROM notices WHERE id = ?", id).
		Scan(&n.ID, &n.Kind, &n.ApplicationID, &n.raw, &n.IssuedAt, &n.Algorithm, &n.KeyID, &sig)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("notice %d: %w", id, auth.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("notice: %d: %w", id, err)
	}
	m.finish(&n, sig)
	return &n, nil
}

// finish decodes a row's content and checks its signature.
func (m *Module) finish(n *Notice, sig string) {
	n.IssuedAt = n.IssuedAt.UTC()
	n.sig, _ = base64.StdEncoding.DecodeString(sig)
	n.Token = certificate.DomainToken(tokenDomain, n.ID, n.sig)
	if err := json.Unmarshal([]byte(n.raw), &n.Content); err != nil {
		n.Content = Content{}
	}
	n.Genuine = len(n.sig) > 0 && n.Content.Version == contentVersion && n.Content.Kind == n.Kind &&
		m.d.Verifier.Verify(n.KeyID, payload(n.raw), n.sig) == nil
}

// Get returns document id if a may read its case; otherwise, as for a
// document that does not exist, auth.ErrNotFound.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Notice, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	n, err := m.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.CanRead(ctx, a, n.ApplicationID); err != nil {
		return nil, fmt.Errorf("notice %d: %w", id, auth.ErrNotFound)
	}
	return n, nil
}

// List returns the documents of application id, oldest first, if a may
// read it.
func (m *Module) List(ctx context.Context, a *auth.Actor, applicationID int64) ([]Notice, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if err := m.d.CanRead(ctx, a, applicationID); err != nil {
		return nil, fmt.Errorf("notices of %d: %w", applicationID, auth.ErrNotFound)
	}
	return m.byApplication(ctx, applicationID)
}

// byApplication reads the documents of an application, oldest first (an
// application has a handful).
func (m *Module) byApplication(ctx context.Context, applicationID int64) ([]Notice, error) {
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+noticeCols+" FROM notices WHERE application_id = ? ORDER BY id",
		applicationID)
	if err != nil {
		return nil, fmt.Errorf("notice: of application %d: %w", applicationID, err)
	}
	defer rows.Close()
	out := []Notice{}
	for rows.Next() {
		var n Notice
		var sig string
		if err := rows.Scan(&n.ID, &n.Kind, &n.ApplicationID, &n.raw, &n.IssuedAt, &n.Algorithm, &n.KeyID, &sig); err != nil {
			return nil, fmt.Errorf("notice: of application %d: %w", applicationID, err)
		}
		m.finish(&n, sig)
		out = append(out, n)
	}
	return out, rows.Err()
}

// ForApplication lists the references of an application's documents for
// its case page, which has already authorised the reader: it implements
// casework.Notices.
func (m *Module) ForApplication(ctx context.Context, applicationID int64) ([]casework.NoticeRef, error) {
	ns, err := m.byApplication(ctx, applicationID)
	if err != nil {
		return nil, err
	}
	out := make([]casework.NoticeRef, 0, len(ns))
	for _, n := range ns {
		out = append(out, casework.NoticeRef{ID: n.ID, Number: n.Content.Number, Kind: casework.NoticeKind(n.Kind),
			Title: n.Content.Title, IssuedAt: n.IssuedAt, VerifyURL: m.verifyURL("", n.Token)})
	}
	return out, nil
}

// Verify answers for the token of a document's QR code: the document and
// whether its signature holds. A token that names no document, or whose
// check does not match the stored signature, answers auth.ErrNotFound.
func (m *Module) Verify(ctx context.Context, token string) (*Notice, error) {
	id, check, err := certificate.SplitToken(token)
	if err != nil {
		return nil, fmt.Errorf("notice token: %w", auth.ErrNotFound)
	}
	n, err := m.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !certificate.CheckMatches(check, certificate.DomainCheck(tokenDomain, n.sig)) {
		return nil, fmt.Errorf("notice token: %w", auth.ErrNotFound)
	}
	return n, nil
}
