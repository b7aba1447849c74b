// Package certificate holds electronic certificates (电子证照) and the
// no-proof handling (免证办) built on them.
//
// A certificate has a type, a holder (a person or an enterprise), a number,
// a period of validity and typed fields; its canonical payload is signed
// (Ed25519 today, behind [Signer] so SM2 can follow). Anyone can check a
// certificate by scanning its QR code: the public page and API answer valid,
// revoked, expired or forged and show only public facts, never an identity
// number. A material of class 共享 is satisfied by the applicant's valid
// certificate with the holder's consent; every use by a department is
// logged and the holder sees that log. Where no certificate exists, a
// department asks the owning department to verify (部门核验) through a
// workflow task.
package certificate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Kind is the authorisation kind of certificates.
const Kind = "certificate"

// verificationKind is the authorisation kind of verification requests.
const verificationKind = "certificate_verification"

// Outbox topics the package writes.
const (
	TopicIssued            = "certificate.issued"
	TopicRevoked           = "certificate.revoked"
	TopicUsed              = "certificate.used"
	TopicVerificationAsked = "certificate.verification_requested"
)

// HolderKind says whether a certificate belongs to a person or an
// enterprise.
type HolderKind string

// The holder kinds.
const (
	HolderPerson     HolderKind = "person"
	HolderEnterprise HolderKind = "enterprise"
)

// Status is the stored state of a certificate. Expiry is not a status: it
// follows from the validity period and the time of asking.
type Status string

// The statuses.
const (
	StatusValid   Status = "valid"
	StatusRevoked Status = "revoked"
)

// Errors. They carry the behaviour web.Problem maps to a status, so the API
// answers 404, 409, 403 or 422 without this package importing web.
var (
	ErrNotFound    error = &statusError{"certificate: not found (证照不存在)", 404}
	ErrRevoked     error = &statusError{"certificate: revoked (证照已注销)", 409}
	ErrExpired     error = &statusError{"certificate: not within its validity (证照不在有效期内)", 409}
	ErrAlreadyDone error = &statusError{"certificate: already done (已处理)", 409}
	ErrDuplicate   error = &statusError{"certificate: number already used for this type (证照编号重复)", 409}
	ErrNoConsent         = fmt.Errorf("certificate: no valid consent of the holder (未经持证人授权): %w", auth.ErrForbidden)
	ErrForbidden         = fmt.Errorf("certificate: not allowed (无权操作): %w", auth.ErrForbidden)
	ErrInvalid           = errors.New("certificate: invalid input")
)

type statusError struct {
	msg    string
	status int
}

func (e *statusError) Error() string  { return e.msg }
func (e *statusError) NotFound() bool { return e.status == 404 }
func (e *statusError) Conflict() bool { return e.status == 409 }

// FieldError is one bad input; several are joined with errors.Join. It
// matches ErrInvalid, and web.Problem reports it as a 422 at body.<Key>.
type FieldError struct {
	Key     string
	Message string // Chinese first, English in brackets
}

func (e *FieldError) Error() string        { return e.Key + ": " + e.Message }
func (e *FieldError) Field() string        { return e.Key }
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }
func invalid(key, msg string) *FieldError  { return &FieldError{Key: key, Message: msg} }
func joinProblems(ps []error) error        { return errors.Join(ps...) }
func idText(id int64) string               { return strconv.FormatInt(id, 10) }

// nullable stores a zero time as NULL.
func nullable(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return store.Time(t)
}

// Deps are the services the package uses.
type Deps struct {
	DB     *store.DB
	Org    *org.Service
	Policy *auth.Policy
	Audit  *audit.Log
	Flow   *flow.Engine
	Box    *pii.Box
	// Signer signs new certificates.
	Signer Signer
	// Verifier checks signatures; nil means a key ring holding the public
	// key of Signer (when it is an *Ed25519Signer). Put retired keys on a
	// KeyRing to keep their certificates verifiable.
	Verifier Verifier
	// BaseURL is the public address put into QR codes, such as
	// "https://zwfw.yunlan.gov.cn"; empty means the address of the request.
	BaseURL string
	// CacheTTL bounds how long a verification result is reused without
	// reading the database. Zero means 30 seconds, negative disables the
	// cache. A revocation clears the entry on this node at once; other
	// nodes sharing PostgreSQL may answer "valid" for up to CacheTTL.
	CacheTTL time.Duration
	// RenewalItem names the catalogue item a holder applies under to
	// renew (延续) a certificate of a type, ok false when there is none;
	// nil offers no renewal on the certificate page.
	RenewalItem func(ctx context.Context, typeCode string) (code, name string, ok bool)
	Now         func() time.Time
}

// Service is the certificate business logic, usable without the web layer
// (the application module calls Issue, ValidFor, Use, GrantConsent and
// RequestVerification in its own transactions).
type Service struct {
	d     Deps
	cache *resultCache

	mu    sync.Mutex
	types map[string]*Type

	// forgotten runs after Forget: the module drops its cached
	// verification pages.
	forgotten func()
}

// NewService checks d and returns the service. It registers the
// certificate kinds with d.Policy.
func NewService(d Deps) (*Service, error) {
	if d.DB == nil || d.Box == nil || d.Signer == nil || d.Policy == nil || d.Audit == nil || d.Org == nil {
		return nil, errors.New("certificate: DB, Org, Policy, Audit, Box and Signer are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Verifier == nil {
		es, ok := d.Signer.(*Ed25519Signer)
		if !ok {
			return nil, errors.New("certificate: a Verifier is required with a non-Ed25519 signer")
		}
		d.Verifier = NewKeyRing(es.PublicKey())
	}
	if d.CacheTTL == 0 {
		d.CacheTTL = 30 * time.Second
	}
	if err := d.Policy.Register(Kind, rules()); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if err := d.Policy.Register(verificationKind, verificationRules()); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	s := &Service{d: d, types: map[string]*Type{}}
	if d.CacheTTL > 0 {
		s.cache = newResultCache(d.CacheTTL, 100_000)
	}
	return s, nil
}

// rules: the issuing department's handlers and approvers issue and revoke
// its certificates; region-wide staff read them; holders read their own.
func rules() auth.KindRules {
	dept, region, own := auth.ScopeDepartment, auth.ScopeRegion, auth.ScopeOwn
	return auth.KindRules{
		auth.ActRead: {
			auth.RoleCitizen: own, auth.RoleEnterprise: own,
			auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleClerk: dept,
			auth.RoleSupervisor: region, auth.RoleAdmin: region,
		},
		auth.ActCreate:     {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActAdminister: {auth.RoleHandler: dept, auth.RoleApprover: dept},
	}
}

// verificationRules: both the asking and the owning department see a
// request (its DepartmentIDs hold both); only the owner answers, which the
// service checks itself.
func verificationRules() auth.KindRules {
	dept, region := auth.ScopeDepartment, auth.ScopeRegion
	return auth.KindRules{
		auth.ActRead: {auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleClerk: dept,
			auth.RoleSupervisor: region, auth.RoleAdmin: region},
		auth.ActAct:    {auth.RoleHandler: dept, auth.RoleApprover: dept},
		auth.ActCreate: {auth.RoleHandler: dept, auth.RoleApprover: dept, auth.RoleClerk: dept},
	}
}

func (s *Service) now() time.Time { return store.Time(s.d.Now()) }

// department returns department id (cached by org: verification pages name
// the issuer on every request).
func (s *Service) department(ctx context.Context, id int64) (org.Department, error) {
	dp, err := s.d.Org.Department(ctx, id)
	if err != nil {
		return org.Department{}, fmt.Errorf("certificate: department %d: %w", id, err)
	}
	return *dp, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func actorName(a *auth.Actor) string {
	if a == nil {
		return ""
	}
	return a.Name
}

func actorID(a *auth.Actor) int64 {
	if a == nil {
		return 0
	}
	return a.UserID
}

// SetRenewalItem sets Deps.RenewalItem after construction, for wiring in
// which the catalogue is built later; call it before serving.
func (s *Service) SetRenewalItem(f func(ctx context.Context, typeCode string) (code, name string, ok bool)) {
	s.d.RenewalItem = f
}
