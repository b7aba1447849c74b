package hotline

import (
	"context"
	"crypto/hmac"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
)

// VisitLink returns the path of the link a citizen follows to rate a
// closed order without signing in: the order id and an expiry, signed
// with the keyed hash of the PII box, so no one can forge a link for
// another order. Prefix it with Config.BaseURL in the message sent.
func (m *Module) VisitLink(id int64) string {
	exp := m.d.Now().Add(m.d.Config.VisitLinkTTL).Unix()
	payload := strconv.FormatInt(id, 10) + "." + strconv.FormatInt(exp, 36)
	return m.d.Config.BaseURL + "/hotline/visit/" + payload + "." + m.visitMAC(payload)
}

func (m *Module) visitMAC(payload string) string {
	return m.d.Box.Index("hotline-visit:" + payload)[:32]
}

// visitToken checks a link token and returns its order id.
func (m *Module) visitToken(tok string) (int64, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, false
	}
	payload := parts[0] + "." + parts[1]
	if !hmac.Equal([]byte(parts[2]), []byte(m.visitMAC(payload))) {
		return 0, false
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 36, 64)
	if err1 != nil || err2 != nil || m.d.Now().Unix() > exp {
		return 0, false
	}
	return id, true
}

// citizenVisitor is the actor recorded for a visit made through a link.
func citizenVisitor() *auth.Actor {
	return &auth.Actor{Name: "市民（回访链接）", Roles: []auth.Role{auth.RoleSystem}}
}

// VisitByLink records a return visit made by the citizen through a link.
func (m *Module) VisitByLink(ctx context.Context, token string, in VisitInput) (*Order, error) {
	id, ok := m.visitToken(token)
	if !ok {
		return nil, ErrNotFound
	}
	// Whether a dissatisfaction was reasonable, and so whether the order is
	// redone, is judged by the centre (issue 12), never by the caller's own
	// link: the caller rates, the centre decides.
	in.Reasonable = false
	return m.Visit(ctx, citizenVisitor(), id, in)
}

// Lookup finds an order by its number and the caller's phone number, for a
// citizen without an account. A wrong pair is ErrNotFound, never a hint
// that the number exists.
func (m *Module) Lookup(ctx context.Context, number, phone string) (*Order, error) {
	o, err := m.GetByNumber(ctx, auth.System(), number)
	if err != nil {
		return nil, ErrNotFound
	}
	phone = normalizePhone(phone)
	if phone == "" || !hmac.Equal([]byte(o.phoneIndex), []byte(m.d.Box.Index(phone))) {
		return nil, ErrNotFound
	}
	// The caller sees the order as its owner would: phone masked.
	owner := &auth.Actor{UserID: -1, Roles: []auth.Role{auth.RoleCitizen}}
	o, err = m.load(ctx, m.d.DB, o.ID)
	if err != nil {
		return nil, err
	}
	m.present(owner, o)
	if o.Confidential {
		o.CallerName = ""
	}
	return o, nil
}

// limiter allows n events per window per key (an IP address), in memory:
// a node-local brake on guessing phone numbers, not an accounting system.
type limiter struct {
	n      int
	window time.Duration
	mu     sync.Mutex
	seen   map[string][]time.Time
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{n: n, window: window, seen: map[string][]time.Time{}}
}

// allow records an event for key at now and reports whether it is within
// the limit.
func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.seen[key]
	keep := ts[:0]
	for _, t := range ts {
		if now.Sub(t) < l.window {
			keep = append(keep, t)
		}
	}
	if len(l.seen) > 10000 { // forget everyone rather than grow without bound
		clear(l.seen)
	}
	if len(keep) >= l.n {
		l.seen[key] = keep
		return false
	}
	l.seen[key] = append(keep, now)
	return true
}
