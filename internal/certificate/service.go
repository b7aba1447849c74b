package certificate

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Certificate is one issued certificate. HolderIDNumber is empty except
// where a read of the full number is allowed and logged (Use); pages show
// HolderIDMasked.
type Certificate struct {
	ID                 int64             `json:"id"`
	TypeCode           string            `json:"type"`
	Number             string            `json:"number"`
	HolderKind         HolderKind        `json:"holder_kind"`
	HolderName         string            `json:"holder_name"`
	HolderIDMasked     string            `json:"holder_id_masked,omitempty"`
	HolderIDNumber     string            `json:"-"`
	HolderUSCC         string            `json:"holder_uscc,omitempty"`
	HolderUserID       int64             `json:"-"`
	IssuerDepartmentID int64             `json:"issuer_department_id"`
	RegionCode         string            `json:"region_code"`
	IssuedAt           time.Time         `json:"issued_at"`
	ValidFrom          time.Time         `json:"valid_from"`
	ValidUntil         time.Time         `json:"valid_until,omitzero"`
	Fields             map[string]string `json:"fields"`
	Status             Status            `json:"status"`
	RevokedReason      string            `json:"revoked_reason,omitempty"`
	RevokedAt          time.Time         `json:"revoked_at,omitzero"`
	RevokedBy          int64             `json:"-"`
	ApplicationRef     string            `json:"application_ref,omitempty"`
	Algorithm          string            `json:"algorithm"`
	KeyID              string            `json:"key_id"`
	Signature          []byte            `json:"-"`
	Token              string            `json:"token"`

	holderKey string
	idEnc     string
}

// ValidAt reports whether the certificate is in force at t: not revoked
// and within its validity period.
func (c *Certificate) ValidAt(t time.Time) bool {
	return c.Status == StatusValid && !t.Before(c.ValidFrom) && (c.ValidUntil.IsZero() || t.Before(c.ValidUntil))
}

// object describes the certificate to the policy; owner is the user id to
// treat as its holder (the caller, when their holder key matched).
func (c *Certificate) object(owner int64) auth.Object {
	return auth.Object{Kind: Kind, RegionCode: c.RegionCode, DepartmentIDs: []int64{c.IssuerDepartmentID},
		OwnerUserID: owner, OwnerUSCC: c.HolderUSCC}
}

// IssueInput is what Issue needs.
type IssueInput struct {
	TypeCode           string
	Holder             Holder
	Fields             map[string]string
	IssuerDepartmentID int64
	// ApplicationRef is the case number of the application the certificate
	// results from, if any.
	ApplicationRef string
	// ValidFrom defaults to now; ValidUntil to ValidFrom plus the type's
	// validity (none when the type has none).
	ValidFrom, ValidUntil time.Time
	// Number is generated when empty (prefix + region + year + serial);
	// set it to carry over the number of a certificate issued elsewhere.
	Number string
	Actor  *auth.Actor
}

const certCols = `id, type_code, number, holder_kind, holder_name, holder_id_enc, holder_uscc, holder_key, holder_user_id,
	issuer_department_id, region_code, issued_at, valid_from, valid_until, fields, status, revoked_reason, revoked_at,
	revoked_by, application_ref, algorithm, key_id, signature`

func scanCert(r interface{ Scan(...any) error }) (*Certificate, error) {
	var c Certificate
	var until, revoked sql.NullTime
	var fields, sig string
	err := r.Scan(&c.ID, &c.TypeCode, &c.Number, &c.HolderKind, &c.HolderName, &c.idEnc, &c.HolderUSCC, &c.holderKey,
		&c.HolderUserID, &c.IssuerDepartmentID, &c.RegionCode, &c.IssuedAt, &c.ValidFrom, &until, &fields, &c.Status,
		&c.RevokedReason, &revoked, &c.RevokedBy, &c.ApplicationRef, &c.Algorithm, &c.KeyID, &sig)
	if err != nil {
		return nil, err
	}
	c.IssuedAt, c.ValidFrom = c.IssuedAt.UTC(), c.ValidFrom.UTC()
	if until.Valid {
		c.ValidUntil = until.Time.UTC()
	}
	if revoked.Valid {
		c.RevokedAt = revoked.Time.UTC()
	}
	if err := json.Unmarshal([]byte(fields), &c.Fields); err != nil {
		return nil, fmt.Errorf("certificate %d: fields: %w", c.ID, err)
	}
	// A signature that does not decode is left empty: it will not verify.
	c.Signature, _ = base64.StdEncoding.DecodeString(sig)
	c.Token = Token(c.ID, c.Signature)
	return &c, nil
}

// Issue validates in, signs and stores a certificate in the caller's
// transaction tx, with an audit entry and a "certificate.issued" event.
// The actor must work in the issuing department (or be the system).
func (s *Service) Issue(ctx context.Context, tx store.IDB, in IssueInput) (*Certificate, error) {
	var ps []error
	holder, hp := in.Holder.normalize()
	ps = append(ps, hp...)
	typ, err := s.GetType(ctx, tx, in.TypeCode)
	if errors.Is(err, ErrNotFound) {
		return nil, invalid("type", "证照类型不存在 (unknown certificate type)")
	}
	if err != nil {
		return nil, err
	}
	if holder.Kind != "" && holder.Kind != typ.HolderKind {
		ps = append(ps, invalid("holder.kind", "该证照的持证主体类型不符 (wrong holder kind for this type)"))
	}
	fields, fp := typ.checkFields(in.Fields)
	ps = append(ps, fp...)
	if utf8.RuneCountInString(in.ApplicationRef) > 64 {
		ps = append(ps, invalid("application_ref", "办件编号不超过64字符 (application reference at most 64 characters)"))
	}
	number := strings.TrimSpace(in.Number)
	if len(number) > 64 {
		ps = append(ps, invalid("number", "证照编号不超过64字符 (number at most 64 characters)"))
	}
	now := s.now()
	from := in.ValidFrom
	if from.IsZero() {
		from = now
	}
	from = store.Time(from)
	until := in.ValidUntil
	if until.IsZero() && typ.ValidityMonths > 0 {
		until = from.AddDate(0, typ.ValidityMonths, 0)
	}
	if !until.IsZero() && !until.After(from) {
		ps = append(ps, invalid("valid_until", "有效期截止须晚于起始 (validity must end after it begins)"))
	}
	if in.IssuerDepartmentID <= 0 {
		ps = append(ps, invalid("issuer_department_id", "须指定发证部门 (issuing department required)"))
	}
	if len(ps) > 0 {
		return nil, joinProblems(ps)
	}
	dept, err := s.department(ctx, in.IssuerDepartmentID)
	if err != nil {
		return nil, invalid("issuer_department_id", "发证部门不存在 (no such department)")
	}
	c := &Certificate{TypeCode: typ.Code, HolderKind: holder.Kind, HolderName: holder.Name, HolderUSCC: holder.USCC,
		HolderUserID: holder.UserID, IssuerDepartmentID: dept.ID, RegionCode: dept.RegionCode, IssuedAt: now,
		ValidFrom: from, ValidUntil: nullTime(until), Fields: fields, Status: StatusValid,
		ApplicationRef: strings.TrimSpace(in.ApplicationRef), Algorithm: s.d.Signer.Algorithm(), KeyID: s.d.Signer.KeyID(),
		holderKey: holder.key(s.d.Box), idEnc: s.d.Box.Seal(holder.IDNumber)}
	if err := s.d.Policy.Authorize(in.Actor, auth.ActCreate, c.object(0)); err != nil {
		return nil, fmt.Errorf("certificate: issue %s: %w", typ.Code, ErrForbidden)
	}
	fieldsJSON, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("certificate: issue: %w", err)
	}
	// The number of a generated certificate contains its id, so the row is
	// inserted under a placeholder first, then numbered and signed.
	placeholder := "~" + rand.Text()
	err = tx.QueryRowContext(ctx, `INSERT INTO certificates (type_code, number, holder_kind, holder_name, holder_id_enc,
		holder_uscc, holder_key, holder_user_id, issuer_department_id, region_code, issued_at, valid_from, valid_until,
		fields, status, revoked_reason, revoked_at, revoked_by, application_ref, algorithm, key_id, signature, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', NULL, 0, ?, ?, ?, '', ?) RETURNING id`,
		c.TypeCode, placeholder, c.HolderKind, c.HolderName, c.idEnc, c.HolderUSCC, c.holderKey, c.HolderUserID,
		c.IssuerDepartmentID, c.RegionCode, c.IssuedAt, c.ValidFrom, nullable(c.ValidUntil), string(fieldsJSON),
		c.Status, c.ApplicationRef, c.Algorithm, c.KeyID, actorID(in.Actor)).Scan(&c.ID)
	if err != nil {
		return nil, fmt.Errorf("certificate: issue %s: %w", typ.Code, err)
	}
	if number == "" {
		number = fmt.Sprintf("%s%s%d%07d", typ.NumberPrefix, c.RegionCode, c.IssuedAt.In(cst).Year(), c.ID)
	}
	c.Number = number
	if c.Signature, err = s.d.Signer.Sign(payload(c, holder.IDNumber)); err != nil {
		return nil, fmt.Errorf("certificate: sign %d: %w", c.ID, err)
	}
	c.Token = Token(c.ID, c.Signature)
	_, err = tx.ExecContext(ctx, `UPDATE certificates SET number = ?, signature = ? WHERE id = ?`,
		c.Number, base64.StdEncoding.EncodeToString(c.Signature), c.ID)
	if store.IsUniqueViolation(err) {
		return nil, fmt.Errorf("certificate: issue %s %s: %w", typ.Code, c.Number, ErrDuplicate)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: issue %s: %w", typ.Code, err)
	}
	c.HolderIDMasked = pii.MaskID(holder.IDNumber)
	if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(in.Actor), ActorName: actorName(in.Actor),
		Action: "certificate.issue", ObjectType: "certificate", ObjectID: idText(c.ID), RegionCode: c.RegionCode,
		Detail: map[string]any{"type": c.TypeCode, "number": c.Number, "holder": PublicName(c.HolderKind, c.HolderName),
			"issuer_department_id": c.IssuerDepartmentID, "application_ref": c.ApplicationRef, "key_id": c.KeyID}}); err != nil {
		return nil, fmt.Errorf("certificate: issue: %w", err)
	}
	if err := outbox.Add(ctx, tx, now, TopicIssued, event{ID: c.ID, Type: c.TypeCode, Number: c.Number,
		IssuerDepartmentID: c.IssuerDepartmentID, ApplicationRef: c.ApplicationRef, HolderKind: c.HolderKind,
		HolderUSCC: c.HolderUSCC, HolderUserID: c.HolderUserID}); err != nil {
		return nil, fmt.Errorf("certificate: issue: %w", err)
	}
	return c, nil
}

// event is the payload of the certificate outbox events. It never holds an
// identity number.
type event struct {
	ID                 int64      `json:"id"`
	Type               string     `json:"type"`
	Number             string     `json:"number"`
	IssuerDepartmentID int64      `json:"issuer_department_id"`
	ApplicationRef     string     `json:"application_ref,omitempty"`
	HolderKind         HolderKind `json:"holder_kind"`
	HolderUSCC         string     `json:"holder_uscc,omitempty"`
	HolderUserID       int64      `json:"holder_user_id,omitempty"`
	Reason             string     `json:"reason,omitempty"`
}

func nullTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return store.Time(t)
}

// Revoke revokes certificate id in tx for reason, with an audit entry and
// a "certificate.revoked" event. Only the issuing department's staff may
// (or the system); a certificate already revoked gives ErrAlreadyDone.
func (s *Service) Revoke(ctx context.Context, tx store.IDB, id int64, reason string, actor *auth.Actor) (*Certificate, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 500 {
		return nil, invalid("reason", "注销原因必填，不超过500字 (reason required, at most 500 characters)")
	}
	c, err := s.get(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := s.d.Policy.Authorize(actor, auth.ActAdminister, c.object(0)); err != nil {
		return nil, fmt.Errorf("certificate: revoke %d: %w", id, ErrForbidden)
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, `UPDATE certificates SET status = ?, revoked_reason = ?, revoked_at = ?, revoked_by = ?
		WHERE id = ? AND status = ?`, StatusRevoked, reason, now, actorID(actor), id, StatusValid)
	if err != nil {
		return nil, fmt.Errorf("certificate: revoke %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, fmt.Errorf("certificate: revoke %d: %w", id, ErrAlreadyDone)
	}
	c.Status, c.RevokedReason, c.RevokedAt, c.RevokedBy = StatusRevoked, reason, now, actorID(actor)
	if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(actor), ActorName: actorName(actor),
		Action: "certificate.revoke", ObjectType: "certificate", ObjectID: idText(id), RegionCode: c.RegionCode,
		Detail: map[string]any{"type": c.TypeCode, "number": c.Number, "reason": reason}}); err != nil {
		return nil, fmt.Errorf("certificate: revoke: %w", err)
	}
	if err := outbox.Add(ctx, tx, now, TopicRevoked, event{ID: c.ID, Type: c.TypeCode, Number: c.Number,
		IssuerDepartmentID: c.IssuerDepartmentID, HolderKind: c.HolderKind, HolderUSCC: c.HolderUSCC,
		HolderUserID: c.HolderUserID, Reason: reason}); err != nil {
		return nil, fmt.Errorf("certificate: revoke: %w", err)
	}
	s.Forget(id)
	return c, nil
}

// Forget drops certificate id from this node's verification cache. Revoke
// calls it; a caller whose transaction commits a revocation later should
// call it again after the commit, so no request in between re-caches the
// old state.
func (s *Service) Forget(id int64) {
	if s.cache != nil {
		s.cache.forget(id)
	}
	if s.forgotten != nil {
		s.forgotten()
	}
}

// ForgetAll drops every certificate and type from this node's caches (when
// changes may have been missed).
func (s *Service) ForgetAll() {
	if s.cache != nil {
		s.cache.forget(0)
	}
	if s.forgotten != nil {
		s.forgotten()
	}
	s.ForgetType("")
}

// ForgetType drops certificate type code from this node's cache; the empty
// code drops every type.
func (s *Service) ForgetType(code string) {
	s.mu.Lock()
	if code == "" {
		clear(s.types)
	} else {
		delete(s.types, code)
	}
	s.mu.Unlock()
}

// get reads certificate id with its holder number masked.
func (s *Service) get(ctx context.Context, db store.IDB, id int64) (*Certificate, error) {
	c, err := scanCert(db.QueryRowContext(ctx, `SELECT `+certCols+` FROM certificates WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("certificate %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate %d: %w", id, err)
	}
	if c.idEnc != "" {
		idn, err := s.d.Box.Open(c.idEnc)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", id, err)
		}
		c.HolderIDMasked = pii.MaskID(idn)
	}
	return c, nil
}

// Get returns certificate id if actor may read it: its issuing
// department, region-wide staff, or its holder. Others get ErrNotFound, so
// its existence is not disclosed.
func (s *Service) Get(ctx context.Context, id int64, actor *auth.Actor) (*Certificate, error) {
	c, err := s.get(ctx, s.d.DB, id)
	if err != nil {
		return nil, err
	}
	if err := s.d.Policy.Authorize(actor, auth.ActRead, c.object(s.ownerFor(ctx, actor, c))); err != nil {
		return nil, fmt.Errorf("certificate %d: %w", id, ErrNotFound)
	}
	return c, nil
}

// ownerFor returns the actor's user id when the actor holds c, else 0.
func (s *Service) ownerFor(ctx context.Context, a *auth.Actor, c *Certificate) int64 {
	if a == nil || a.IsStaff() {
		return 0
	}
	keys, err := s.holderKeys(ctx, a)
	if err != nil {
		return 0
	}
	for _, k := range keys {
		if k == c.holderKey {
			return a.UserID
		}
	}
	return 0
}

// verifySignature checks c's signature over its canonical payload.
func (s *Service) verifySignature(c *Certificate) error {
	idn, err := s.d.Box.Open(c.idEnc)
	if err != nil {
		return ErrBadSignature
	}
	return s.d.Verifier.Verify(c.KeyID, payload(c, idn), c.Signature)
}

// ValidFor returns the holder's certificate of type typeCode in force at
// at, the most recently issued if several, with a signature that verifies.
// It fails with ErrNotFound when there is none: the caller then asks the
// owning department (RequestVerification) or the applicant for proof.
func (s *Service) ValidFor(ctx context.Context, db store.IDB, holder HolderRef, typeCode string, at time.Time) (*Certificate, error) {
	ref, err := holder.normalize("holder")
	if err != nil {
		return nil, err
	}
	at = store.Time(at)
	rows, err := db.QueryContext(ctx, `SELECT `+certCols+` FROM certificates WHERE holder_key = ? AND type_code = ?
		AND status = ? AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?) ORDER BY issued_at DESC, id DESC LIMIT 5`,
		ref.key(s.d.Box), typeCode, StatusValid, at, at)
	if err != nil {
		return nil, fmt.Errorf("certificate: valid %s: %w", typeCode, err)
	}
	var found []*Certificate
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("certificate: valid %s: %w", typeCode, err)
	}
	for _, c := range found {
		if s.verifySignature(c) == nil {
			c.HolderIDMasked = pii.MaskID(ref.IDNumber)
			return c, nil
		}
	}
	return nil, fmt.Errorf("certificate: no valid %s for holder: %w", typeCode, ErrNotFound)
}

// Query selects certificates for the lists.
type Query struct {
	Q        string // part of the number or the holder's name
	TypeCode string
	Status   Status
	Limit    int
	After    store.Cursor // the page after this position (Page.Next of the page before)
}

// Issued returns one page of the certificates the actor's departments
// issued, newest first, and where it ends: a keyset page by id (the index
// on issuer and id), with the count bounded at store.CountBound.
func (s *Service) Issued(ctx context.Context, a *auth.Actor, q Query) ([]Certificate, store.Page, error) {
	if a == nil || len(a.DepartmentIDs) == 0 {
		return nil, store.Page{}, nil
	}
	where := "issuer_department_id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(a.DepartmentIDs)), ",") + ")"
	args := []any{}
	for _, d := range a.DepartmentIDs {
		args = append(args, d)
	}
	return s.list(ctx, where, args, q)
}

// Held returns the certificates the actor holds (as a person or for their
// enterprise), newest first, one keyset page at a time.
func (s *Service) Held(ctx context.Context, a *auth.Actor, q Query) ([]Certificate, store.Page, error) {
	keys, err := s.holderKeys(ctx, a)
	if err != nil || len(keys) == 0 {
		return nil, store.Page{}, err
	}
	where := "holder_key IN (" + strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",") + ")"
	args := []any{}
	for _, k := range keys {
		args = append(args, k)
	}
	return s.list(ctx, where, args, q)
}

func (s *Service) list(ctx context.Context, where string, args []any, q Query) ([]Certificate, store.Page, error) {
	if q.Q = strings.TrimSpace(q.Q); q.Q != "" {
		where += " AND (number " + s.d.DB.Like() + " ? ESCAPE '\\' OR holder_name " + s.d.DB.Like() + " ? ESCAPE '\\')"
		p := "%" + escapeLike(q.Q) + "%"
		args = append(args, p, p)
	}
	if q.TypeCode != "" {
		where += " AND type_code = ?"
		args = append(args, q.TypeCode)
	}
	if q.Status != "" {
		where += " AND status = ?"
		args = append(args, q.Status)
	}
	var pg store.Page
	var err error
	if pg.Count, err = store.CountUpTo(ctx, s.d.DB, `SELECT id FROM certificates WHERE `+where+` ORDER BY id DESC`, args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("certificate: list: %w", err)
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 20
	}
	ks, kargs := store.Before("", "id", q.After)
	rows, err := s.d.DB.QueryContext(ctx, `SELECT `+certCols+` FROM certificates WHERE `+where+` AND `+ks+
		` ORDER BY id DESC LIMIT ?`, append(append(args, kargs...), q.Limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("certificate: list: %w", err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		c, err := scanCert(rows)
		if err != nil {
			return nil, store.Page{}, err
		}
		if len(out) == q.Limit {
			pg.Next = store.Cursor{ID: out[len(out)-1].ID}
			break
		}
		if idn, err := s.d.Box.Open(c.idEnc); err == nil {
			c.HolderIDMasked = pii.MaskID(idn)
		}
		out = append(out, *c)
	}
	return out, pg, rows.Err()
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// cst is China Standard Time, in which certificate numbers take their year.
var cst = time.FixedZone("CST", 8*3600)

// ScanHeld calls fn with the type code of every certificate in force at
// at held by a business whose code is from lo to hi: what modules that
// match the whole register in chunks (policies) read, without an actor.
// It reads the holder index (holder_key is "e:" and the code).
func (s *Service) ScanHeld(ctx context.Context, lo, hi string, at time.Time, fn func(uscc, typeCode string) error) error {
	at = store.Time(at)
	rows, err := s.d.DB.QueryContext(ctx, `SELECT holder_uscc, type_code FROM certificates WHERE holder_key >= ? AND holder_key <= ?
		AND status = ? AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?) ORDER BY holder_key, type_code`,
		"e:"+lo, "e:"+hi, StatusValid, at, at)
	if err != nil {
		return fmt.Errorf("certificate: held: %w", err)
	}
	defer rows.Close()
	var u, code string
	for rows.Next() {
		if err := rows.Scan(&u, &code); err != nil {
			return fmt.Errorf("certificate: held: %w", err)
		}
		if err := fn(u, code); err != nil {
			return err
		}
	}
	return rows.Err()
}
