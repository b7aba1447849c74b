package certificate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// Consent is a holder's permission for departments to use their
// certificates instead of asking for an upload (免证办).
type Consent struct {
	ID int64 `json:"id"`
	// CertificateID limits the consent to one certificate; 0 means any
	// certificate of TypeCode.
	CertificateID int64  `json:"certificate_id,omitempty"`
	TypeCode      string `json:"type,omitempty"`
	// DepartmentID limits the consent to one department; 0 means any.
	DepartmentID int64     `json:"department_id,omitempty"`
	Purpose      string    `json:"purpose"`
	GrantedAt    time.Time `json:"granted_at"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
	RevokedAt    time.Time `json:"revoked_at,omitzero"`

	holderKey string
}

// ActiveAt reports whether the consent is in force at t.
func (c *Consent) ActiveAt(t time.Time) bool {
	return c.RevokedAt.IsZero() && (c.ExpiresAt.IsZero() || t.Before(c.ExpiresAt))
}

// covers reports whether the consent lets department dept use cert.
func (c *Consent) covers(cert *Certificate, dept int64) bool {
	if c.holderKey != cert.holderKey || (c.DepartmentID != 0 && c.DepartmentID != dept) {
		return false
	}
	if c.CertificateID != 0 {
		return c.CertificateID == cert.ID
	}
	return c.TypeCode == cert.TypeCode
}

// ConsentInput is what GrantConsent needs.
type ConsentInput struct {
	Holder HolderRef
	// Either CertificateID or TypeCode.
	CertificateID int64
	TypeCode      string
	DepartmentID  int64 // 0: any department
	Purpose       string
	ExpiresAt     time.Time // zero: until revoked
	// Actor must be the holder (their own number on file, or an enterprise
	// user of the enterprise) or the system.
	Actor *auth.Actor
}

// GrantConsent records the holder's consent in tx, with an audit entry.
func (s *Service) GrantConsent(ctx context.Context, tx store.IDB, in ConsentInput) (*Consent, error) {
	var ps []error
	ref, err := in.Holder.normalize("holder")
	if err != nil {
		ps = append(ps, err)
	}
	in.Purpose = strings.TrimSpace(in.Purpose)
	if in.Purpose == "" || utf8.RuneCountInString(in.Purpose) > 200 {
		ps = append(ps, invalid("purpose", "用途必填，不超过200字 (purpose required, at most 200 characters)"))
	}
	if (in.CertificateID == 0) == (in.TypeCode == "") {
		ps = append(ps, invalid("scope", "须指定一张证照或一种证照类型 (give a certificate or a type, not both)"))
	}
	now := s.now()
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		ps = append(ps, invalid("expires_at", "授权截止须晚于现在 (expiry must be in the future)"))
	}
	if len(ps) > 0 {
		return nil, joinProblems(ps)
	}
	key := ref.key(s.d.Box)
	if err := s.mustBeHolder(ctx, in.Actor, key); err != nil {
		return nil, err
	}
	if in.CertificateID != 0 {
		c, err := s.get(ctx, tx, in.CertificateID)
		if err != nil || c.holderKey != key {
			return nil, invalid("certificate_id", "证照不存在或不属于持证人 (no such certificate of this holder)")
		}
		in.TypeCode = c.TypeCode
	} else if _, err := s.GetType(ctx, tx, in.TypeCode); err != nil {
		return nil, invalid("type", "证照类型不存在 (unknown certificate type)")
	}
	if in.DepartmentID != 0 {
		if _, err := s.department(ctx, in.DepartmentID); err != nil {
			return nil, invalid("department_id", "部门不存在 (no such department)")
		}
	}
	c := &Consent{CertificateID: in.CertificateID, TypeCode: in.TypeCode, DepartmentID: in.DepartmentID,
		Purpose: in.Purpose, GrantedAt: now, ExpiresAt: nullTime(in.ExpiresAt), holderKey: key}
	err = tx.QueryRowContext(ctx, `INSERT INTO certificate_consents (holder_key, certificate_id, type_code, department_id,
		purpose, granted_at, granted_by, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL) RETURNING id`,
		key, c.CertificateID, c.TypeCode, c.DepartmentID, c.Purpose, now, actorID(in.Actor), nullable(c.ExpiresAt)).Scan(&c.ID)
	if err != nil {
		return nil, fmt.Errorf("certificate: grant consent: %w", err)
	}
	if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(in.Actor), ActorName: actorName(in.Actor),
		Action: "certificate.consent_grant", ObjectType: "certificate_consent", ObjectID: idText(c.ID),
		Detail: map[string]any{"certificate_id": c.CertificateID, "type": c.TypeCode, "department_id": c.DepartmentID,
			"purpose": c.Purpose, "expires_at": c.ExpiresAt}}); err != nil {
		return nil, fmt.Errorf("certificate: grant consent: %w", err)
	}
	return c, nil
}

// mustBeHolder checks that actor is the holder with key (or the system).
func (s *Service) mustBeHolder(ctx context.Context, a *auth.Actor, key string) error {
	if a.Has(auth.RoleSystem) {
		return nil
	}
	keys, err := s.holderKeys(ctx, a)
	if err != nil {
		return fmt.Errorf("certificate: holder of actor: %w", err)
	}
	if !slices.Contains(keys, key) {
		return ErrForbidden
	}
	return nil
}

// RevokeConsent ends consent id in tx. Only its holder (or the system)
// may; uses already logged stay logged.
func (s *Service) RevokeConsent(ctx context.Context, tx store.IDB, id int64, actor *auth.Actor) error {
	c, err := s.consent(ctx, tx, id)
	if err != nil {
		return err
	}
	if err := s.mustBeHolder(ctx, actor, c.holderKey); err != nil {
		// Someone else's consent is not disclosed.
		return fmt.Errorf("certificate: consent %d: %w", id, ErrNotFound)
	}
	res, err := tx.ExecContext(ctx, `UPDATE certificate_consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, s.now(), id)
	if err != nil {
		return fmt.Errorf("certificate: revoke consent %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("certificate: revoke consent %d: %w", id, ErrAlreadyDone)
	}
	_, err = s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(actor), ActorName: actorName(actor),
		Action: "certificate.consent_revoke", ObjectType: "certificate_consent", ObjectID: idText(id)})
	return err
}

const consentCols = `id, holder_key, certificate_id, type_code, department_id, purpose, granted_at, expires_at, revoked_at`

func scanConsent(r interface{ Scan(...any) error }) (*Consent, error) {
	var c Consent
	var exp, rev sql.NullTime
	if err := r.Scan(&c.ID, &c.holderKey, &c.CertificateID, &c.TypeCode, &c.DepartmentID, &c.Purpose, &c.GrantedAt, &exp, &rev); err != nil {
		return nil, err
	}
	c.GrantedAt = c.GrantedAt.UTC()
	if exp.Valid {
		c.ExpiresAt = exp.Time.UTC()
	}
	if rev.Valid {
		c.RevokedAt = rev.Time.UTC()
	}
	return &c, nil
}

func (s *Service) consent(ctx context.Context, db store.IDB, id int64) (*Consent, error) {
	c, err := scanConsent(db.QueryRowContext(ctx, `SELECT `+consentCols+` FROM certificate_consents WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, fmt.Errorf("certificate: consent %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: consent %d: %w", id, err)
	}
	return c, nil
}

// Consents returns the consents the actor has given as a holder, newest
// first.
func (s *Service) Consents(ctx context.Context, a *auth.Actor) ([]Consent, error) {
	keys, err := s.holderKeys(ctx, a)
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	rows, err := s.d.DB.QueryContext(ctx, `SELECT `+consentCols+` FROM certificate_consents WHERE holder_key IN (`+
		placeholders(len(keys))+`) ORDER BY id DESC LIMIT 200`, anys(keys)...)
	if err != nil {
		return nil, fmt.Errorf("certificate: consents: %w", err)
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		c, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// UseInput is what Use needs.
type UseInput struct {
	CertificateID  int64
	DepartmentID   int64       // the department using it; the actor must work there
	Actor          *auth.Actor // who uses it
	ApplicationRef string      // the case it is used for
	Purpose        string
	// ConsentID names the consent relied on; 0 finds an active consent
	// that covers the certificate and the department.
	ConsentID int64
}

// UseRecord is one logged use of a certificate, as its holder sees it.
type UseRecord struct {
	ID             int64     `json:"id"`
	CertificateID  int64     `json:"certificate_id"`
	Number         string    `json:"number"`
	TypeCode       string    `json:"type"`
	DepartmentID   int64     `json:"department_id"`
	Department     string    `json:"department"`
	ActorName      string    `json:"actor_name"`
	ApplicationRef string    `json:"application_ref"`
	Purpose        string    `json:"purpose"`
	ConsentID      int64     `json:"consent_id"`
	UsedAt         time.Time `json:"used_at"`
}

// Use lets a department use a certificate for an application instead of
// an upload, in tx: the certificate must be in force with a good signature
// and covered by the holder's active consent (ErrNoConsent otherwise).
// The use is logged (who, which department, when, for which application)
// and audited, and the certificate is returned with the holder's full
// identity number, which that logged use entitles the department to.
func (s *Service) Use(ctx context.Context, tx store.IDB, in UseInput) (*Certificate, error) {
	var ps []error
	in.ApplicationRef, in.Purpose = strings.TrimSpace(in.ApplicationRef), strings.TrimSpace(in.Purpose)
	if in.ApplicationRef == "" || len(in.ApplicationRef) > 64 {
		ps = append(ps, invalid("application_ref", "须注明办件编号 (application reference required, at most 64 characters)"))
	}
	if utf8.RuneCountInString(in.Purpose) > 200 {
		ps = append(ps, invalid("purpose", "用途不超过200字 (purpose at most 200 characters)"))
	}
	if in.DepartmentID <= 0 {
		ps = append(ps, invalid("department_id", "须指定使用部门 (department required)"))
	}
	if len(ps) > 0 {
		return nil, joinProblems(ps)
	}
	if in.Actor == nil || !(in.Actor.Has(auth.RoleSystem) || (in.Actor.IsStaff() && in.Actor.InDepartment(in.DepartmentID))) {
		return nil, fmt.Errorf("certificate: use by department %d: %w", in.DepartmentID, ErrForbidden)
	}
	c, err := s.get(ctx, tx, in.CertificateID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case s.verifySignature(c) != nil:
		return nil, fmt.Errorf("certificate %d: %w", c.ID, ErrBadSignature)
	case c.Status == StatusRevoked:
		return nil, fmt.Errorf("certificate %d: %w", c.ID, ErrRevoked)
	case !c.ValidAt(now):
		return nil, fmt.Errorf("certificate %d: %w", c.ID, ErrExpired)
	}
	consent, err := s.findConsent(ctx, tx, c, in.DepartmentID, in.ConsentID, now)
	if err != nil {
		return nil, err
	}
	var useID int64
	err = tx.QueryRowContext(ctx, `INSERT INTO certificate_uses (certificate_id, holder_key, department_id, actor_id,
		actor_name, application_ref, purpose, consent_id, used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.ID, c.holderKey, in.DepartmentID, actorID(in.Actor), actorName(in.Actor), in.ApplicationRef, in.Purpose,
		consent.ID, now).Scan(&useID)
	if err != nil {
		return nil, fmt.Errorf("certificate: use %d: %w", c.ID, err)
	}
	if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(in.Actor), ActorName: actorName(in.Actor),
		Action: "certificate.use", ObjectType: "certificate", ObjectID: idText(c.ID), RegionCode: c.RegionCode,
		Detail: map[string]any{"use_id": useID, "department_id": in.DepartmentID, "application_ref": in.ApplicationRef,
			"consent_id": consent.ID, "purpose": in.Purpose}}); err != nil {
		return nil, fmt.Errorf("certificate: use: %w", err)
	}
	if err := outbox.Add(ctx, tx, now, TopicUsed, map[string]any{"certificate_id": c.ID, "type": c.TypeCode,
		"department_id": in.DepartmentID, "application_ref": in.ApplicationRef}); err != nil {
		return nil, fmt.Errorf("certificate: use: %w", err)
	}
	if c.HolderIDNumber, err = s.d.Box.Open(c.idEnc); err != nil {
		return nil, fmt.Errorf("certificate: use %d: %w", c.ID, err)
	}
	return c, nil
}

// findConsent returns consent id, or any active consent covering c for
// dept when id is 0.
func (s *Service) findConsent(ctx context.Context, db store.IDB, c *Certificate, dept, id int64, now time.Time) (*Consent, error) {
	if id != 0 {
		k, err := s.consent(ctx, db, id)
		if err != nil || !k.ActiveAt(now) || !k.covers(c, dept) {
			return nil, fmt.Errorf("certificate %d: consent %d: %w", c.ID, id, ErrNoConsent)
		}
		return k, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT `+consentCols+` FROM certificate_consents WHERE holder_key = ?
		AND revoked_at IS NULL ORDER BY id DESC LIMIT 100`, c.holderKey)
	if err != nil {
		return nil, fmt.Errorf("certificate: consents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		k, err := scanConsent(rows)
		if err != nil {
			return nil, err
		}
		if k.ActiveAt(now) && k.covers(c, dept) {
			return k, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("certificate %d: department %d: %w", c.ID, dept, ErrNoConsent)
}

// Uses returns one page of the log of uses of the actor's own
// certificates, newest first, and where it ends (a keyset page by id, the
// count bounded at store.CountBound): only a holder sees the uses of their
// certificates.
func (s *Service) Uses(ctx context.Context, a *auth.Actor, limit int, after store.Cursor) ([]UseRecord, store.Page, error) {
	keys, err := s.holderKeys(ctx, a)
	if err != nil || len(keys) == 0 {
		return nil, store.Page{}, err
	}
	where := `u.holder_key IN (` + placeholders(len(keys)) + `)`
	var pg store.Page
	if pg.Count, err = store.CountUpTo(ctx, s.d.DB, `SELECT u.id FROM certificate_uses u WHERE `+where+` ORDER BY u.id DESC`, anys(keys)...); err != nil {
		return nil, store.Page{}, fmt.Errorf("certificate: uses: %w", err)
	}
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	ks, kargs := store.Before("", "u.id", after)
	rows, err := s.d.DB.QueryContext(ctx, `SELECT u.id, u.certificate_id, c.number, c.type_code, u.department_id,
		u.actor_name, u.application_ref, u.purpose, u.consent_id, u.used_at
		FROM certificate_uses u JOIN certificates c ON c.id = u.certificate_id WHERE `+where+` AND `+ks+
		` ORDER BY u.id DESC LIMIT ?`, append(append(anys(keys), kargs...), limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("certificate: uses: %w", err)
	}
	defer rows.Close()
	var out []UseRecord
	for rows.Next() {
		var u UseRecord
		if err := rows.Scan(&u.ID, &u.CertificateID, &u.Number, &u.TypeCode, &u.DepartmentID, &u.ActorName,
			&u.ApplicationRef, &u.Purpose, &u.ConsentID, &u.UsedAt); err != nil {
			return nil, store.Page{}, err
		}
		if len(out) == limit {
			pg.Next = store.Cursor{ID: out[len(out)-1].ID}
			break
		}
		u.UsedAt = u.UsedAt.UTC()
		if d, err := s.department(ctx, u.DepartmentID); err == nil {
			u.Department = d.Name
		}
		out = append(out, u)
	}
	return out, pg, rows.Err()
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
