package certificate

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Verdict is the answer to "is this certificate genuine and in force?".
type Verdict string

// The verdicts. Forged covers every token that does not lead to a
// certificate with a good signature: unknown, malformed, or a record whose
// contents or signature were changed.
const (
	VerdictValid       Verdict = "valid"
	VerdictRevoked     Verdict = "revoked"
	VerdictExpired     Verdict = "expired"
	VerdictNotYetValid Verdict = "not_yet_valid"
	VerdictForged      Verdict = "forged"
)

// PublicFacts are what anyone scanning a certificate may see: never an
// identity number, a person's name only by family name.
type PublicFacts struct {
	Type       string     `json:"type"`
	TypeName   string     `json:"type_name"`
	TypeNameEn string     `json:"type_name_en,omitempty"`
	Number     string     `json:"number"`
	HolderKind HolderKind `json:"holder_kind"`
	HolderName string     `json:"holder_name" doc:"A person's name masked (张*); an enterprise's in full"`
	HolderUSCC string     `json:"holder_uscc,omitempty"`
	Issuer     string     `json:"issuer"`
	IssuerEn   string     `json:"issuer_en,omitempty"`
	IssuedAt   time.Time  `json:"issued_at"`
	ValidFrom  time.Time  `json:"valid_from"`
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Result is the outcome of a verification.
type Result struct {
	Verdict Verdict `json:"verdict" enum:"valid,revoked,expired,not_yet_valid,forged"`
	// Certificate is absent for a forged token.
	Certificate *PublicFacts `json:"certificate,omitempty"`
	CheckedAt   time.Time    `json:"checked_at"`
}

// known is what verification learns from the database about one
// certificate; the verdict is worked out from it at each request, so a
// cached entry still turns "expired" on time.
type known struct {
	check      []byte // the token check the stored signature gives
	genuine    bool   // the signature verifies over the stored facts
	revoked    bool
	validFrom  time.Time
	validUntil time.Time
	facts      PublicFacts
	at         time.Time // when it was read
}

// Verify answers for a token from a QR code. It returns an error only when
// the database fails; every kind of bad token is a forged verdict.
func (s *Service) Verify(ctx context.Context, token string) (*Result, error) {
	now := s.d.Now()
	res := &Result{Verdict: VerdictForged, CheckedAt: now.UTC()}
	id, check, err := parseToken(token)
	if err != nil {
		return res, nil
	}
	k, gen, ok := s.cache.get(id, now)
	if !ok {
		k, err = s.learn(ctx, id, now)
		if errors.Is(err, ErrNotFound) {
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		s.cache.put(id, k, gen)
	}
	if !k.genuine || !checkMatches(check, k.check) {
		return res, nil
	}
	facts := k.facts
	res.Certificate = &facts
	switch {
	case k.revoked:
		res.Verdict = VerdictRevoked
	case now.Before(k.validFrom):
		res.Verdict = VerdictNotYetValid
	case !k.validUntil.IsZero() && !now.Before(k.validUntil):
		res.Verdict = VerdictExpired
	default:
		res.Verdict = VerdictValid
	}
	return res, nil
}

// learn reads certificate id and checks its signature.
func (s *Service) learn(ctx context.Context, id int64, now time.Time) (*known, error) {
	c, err := scanCert(s.d.DB.QueryRowContext(ctx, `SELECT `+certCols+` FROM certificates WHERE id = ?`, id))
	if err != nil {
		if isNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	k := &known{check: tokenCheck(c.Signature), genuine: s.verifySignature(c) == nil,
		revoked: c.Status == StatusRevoked, validFrom: c.ValidFrom, validUntil: c.ValidUntil, at: now}
	if !k.genuine {
		return k, nil
	}
	f := PublicFacts{Type: c.TypeCode, Number: c.Number, HolderKind: c.HolderKind,
		HolderName: PublicName(c.HolderKind, c.HolderName), HolderUSCC: c.HolderUSCC,
		IssuedAt: c.IssuedAt, ValidFrom: c.ValidFrom}
	if t, err := s.typeInfo(ctx, c.TypeCode); err == nil {
		f.TypeName, f.TypeNameEn = t.Name, t.NameEn
	}
	if d, err := s.department(ctx, c.IssuerDepartmentID); err == nil {
		f.Issuer, f.IssuerEn = d.Name, d.NameEN
	}
	if !c.ValidUntil.IsZero() {
		u := c.ValidUntil
		f.ValidUntil = &u
	}
	if !c.RevokedAt.IsZero() {
		r := c.RevokedAt
		f.RevokedAt = &r
	}
	k.facts = f
	return k, nil
}

// typeInfo returns a type from a small cache: verification names the type
// on every request.
func (s *Service) typeInfo(ctx context.Context, code string) (*Type, error) {
	s.mu.Lock()
	t, ok := s.types[code]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := s.GetType(ctx, s.d.DB, code)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.types[code] = t
	s.mu.Unlock()
	return t, nil
}

// resultCache keeps what verification learnt per certificate id for a
// short time. It is per node: a revocation on one node clears that node's
// entry at once, others see it after the TTL at most. A nil cache caches
// nothing.
type resultCache struct {
	ttl time.Duration
	max int
	mu  sync.RWMutex
	m   map[int64]*known
	// gen counts forget calls: a result read from the database is kept
	// only if nothing was forgotten since the read began, so a request
	// racing with a revocation cannot put the old state back.
	gen uint64
}

func newResultCache(ttl time.Duration, max int) *resultCache {
	return &resultCache{ttl: ttl, max: max, m: map[int64]*known{}}
}

// get returns the result remembered for id, or the generation to pass to
// put after reading it afresh.
func (c *resultCache) get(id int64, now time.Time) (*known, uint64, bool) {
	if c == nil {
		return nil, 0, false
	}
	c.mu.RLock()
	k, ok := c.m[id]
	gen := c.gen
	c.mu.RUnlock()
	if !ok || now.Sub(k.at) >= c.ttl || now.Before(k.at) {
		return nil, gen, false
	}
	return k, gen, true
}

func (c *resultCache) put(id int64, k *known, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if len(c.m) >= c.max {
		// Dropping everything is crude but bounded; the database
		// answers until the cache fills again.
		clear(c.m)
	}
	c.m[id] = k
}

// forget drops id; id 0 drops everything.
func (c *resultCache) forget(id int64) {
	c.mu.Lock()
	c.gen++
	if id == 0 {
		clear(c.m)
	} else {
		delete(c.m, id)
	}
	c.mu.Unlock()
}
