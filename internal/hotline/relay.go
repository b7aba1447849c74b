package hotline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// Relay joins a handler and the caller of an order in a call through the
// platform's telephony without either seeing the other's number: a privacy
// number (隐私号, an AXB binding of the carriers) is bound to both numbers
// for a short time, and the handler dials it. The caller's number never
// reaches the handler's screen, while the operator who took the call still
// sees it on the order.
type Relay interface {
	Bind(ctx context.Context, req RelayRequest) (RelayBinding, error)
}

// RelayRequest asks for a binding of two numbers for TTL.
type RelayRequest struct {
	Order  string        `json:"order"`
	Caller string        `json:"caller"`
	Staff  string        `json:"staff"`
	TTL    time.Duration `json:"-"`
}

// RelayBinding is the privacy number the handler dials, until Until.
type RelayBinding struct {
	Number string    `json:"number" doc:"The privacy number to dial; it reaches the caller until expires_at"`
	ID     string    `json:"binding_id,omitempty"`
	Until  time.Time `json:"expires_at"`
}

// RelayTTL is how long a binding lasts: long enough to dial and talk.
const RelayTTL = 30 * time.Minute

// ErrNoRelay is returned when no privacy-number service is configured.
var ErrNoRelay = errors.New("hotline: no privacy-number relay is configured (未配置隐私号服务)")

// relayNumber is what a binding's number may look like.
var relayNumber = regexp.MustCompile(`^\+?[0-9][0-9-]{3,19}$`)

// HTTPRelay binds through a carrier's or integrator's HTTP service: it
// POSTs {"order", "caller", "staff", "ttl_seconds"} as JSON, signed like
// the 110 webhook (SignatureHeader, HMAC-SHA256 with Secret), and expects
// {"number", "binding_id", "expires_at"} back. The numbers travel only in
// the body, never in a URL, so no access log holds them.
type HTTPRelay struct {
	URL    string
	Secret []byte
	Client *http.Client
}

// Bind asks the service for a binding.
func (h *HTTPRelay) Bind(ctx context.Context, req RelayRequest) (RelayBinding, error) {
	body, err := json.Marshal(map[string]any{"order": req.Order, "caller": req.Caller, "staff": req.Staff,
		"ttl_seconds": int(req.TTL.Seconds())})
	if err != nil {
		return RelayBinding{}, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return RelayBinding{}, fmt.Errorf("hotline: relay: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(SignatureHeader, Sign(h.Secret, body))
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(hr)
	if err != nil {
		return RelayBinding{}, fmt.Errorf("hotline: relay: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return RelayBinding{}, fmt.Errorf("hotline: relay answered %d", resp.StatusCode)
	}
	var b RelayBinding
	if err := json.Unmarshal(raw, &b); err != nil || !relayNumber.MatchString(b.Number) {
		return RelayBinding{}, fmt.Errorf("hotline: relay: malformed answer")
	}
	if b.Until.IsZero() {
		b.Until = time.Now().Add(req.TTL)
	}
	return b, nil
}

// DemoRelay stands in for the telephony in the demo: it hands out a
// made-up privacy number of the 95 service range for each pair and places
// no call. Never configure it in production.
type DemoRelay struct{ Now func() time.Time }

// Bind returns a number derived from the pair, so the same pair gets the
// same number within a demo.
func (d DemoRelay) Bind(_ context.Context, req RelayRequest) (RelayBinding, error) {
	h := sha256.Sum256([]byte(req.Caller + "|" + req.Staff))
	n := binary.BigEndian.Uint32(h[:4]) % 10000
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	return RelayBinding{Number: fmt.Sprintf("95013-%04d", n), ID: fmt.Sprintf("demo-%x", h[:6]),
		Until: now().Add(req.TTL)}, nil
}

// CallCaller binds a privacy number between the caller of order id and
// the handler a, who must be staff who may act on the order (its lead or
// an assisting department) with a mobile number on their account. Neither
// number is shown or logged; the audit entry records that the call was
// set up and until when.
func (m *Module) CallCaller(ctx context.Context, a *auth.Actor, id int64) (*RelayBinding, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.HasAny(auth.RoleHandler, auth.RoleOperator, auth.RoleDispatcher) {
		return nil, fmt.Errorf("hotline: call the caller: %w", auth.ErrForbidden)
	}
	var b RelayBinding
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.d.Policy.Authorize(a, auth.ActRead, o.Object()) != nil {
			return ErrNotFound
		}
		if m.d.Policy.Authorize(a, auth.ActAct, o.Object()) != nil {
			return fmt.Errorf("hotline: call the caller of %s: %w", o.Number, auth.ErrForbidden)
		}
		if m.d.Relay == nil {
			return fmt.Errorf("%w: %w", ErrState, ErrNoRelay)
		}
		if o.Confidential && !auth.CanSeeReporter(a, o.Object()) {
			// A confidential reporter is not called by the department
			// reported on; the centre calls back.
			return fmt.Errorf("hotline: call the caller of %s: %w", o.Number, auth.ErrForbidden)
		}
		if o.phoneSealed == "" {
			return &FieldError{Name: "caller_phone", Message: "来电人未留电话或匿名反映，无法回拨 (the caller left no number)"}
		}
		caller, err := m.d.Box.Open(o.phoneSealed)
		if err != nil {
			return fmt.Errorf("hotline: call the caller of %s: %w", o.Number, err)
		}
		me, err := m.d.Org.Reveal(ctx, tx, a.UserID)
		if err != nil {
			return fmt.Errorf("hotline: call the caller of %s: %w", o.Number, err)
		}
		if strings.TrimSpace(me.Phone) == "" {
			return &FieldError{Name: "staff_phone", Message: "您的账号未登记手机号，请联系管理员登记后再回拨 (your account has no mobile number)"}
		}
		if b, err = m.d.Relay.Bind(ctx, RelayRequest{Order: o.Number, Caller: caller, Staff: me.Phone, TTL: RelayTTL}); err != nil {
			return err
		}
		b.Until = store.Time(b.Until)
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.relay_call",
			ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode,
			Detail: map[string]any{"binding": b.ID, "until": b.Until}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &b, nil
}
