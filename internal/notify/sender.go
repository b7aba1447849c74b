package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/yingshang/yingshang/internal/pii"
)

// Sender sends a message on an external channel (today: SMS). Send must
// fail when the message was not accepted, so that it is tried again; it
// may be called again for a message it already sent (after a crash), so a
// gateway should treat the message id as an idempotency key.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes text messages to the log instead of sending them: the
// default, for a platform without an SMS gateway. It logs neither the
// phone number nor its index in full.
type LogSender struct {
	Log *slog.Logger
}

// Send logs m.
func (l LogSender) Send(ctx context.Context, m Message) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	idx := m.PhoneIndex
	if len(idx) > 8 {
		idx = idx[:8]
	}
	log.InfoContext(ctx, "notify: text message (no SMS gateway configured)", "message", m.ID,
		"topic", m.Topic, "phone_index", idx, "text", SMSText(m))
	return nil
}

// SignatureHeader carries the HMAC-SHA256 of the request body, as
// "sha256=<hex>", keyed with HTTPSender.Secret.
const SignatureHeader = "X-Yingshang-Signature"

// Sign returns the signature header value of body under key.
func Sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// SMSRequest is the JSON body HTTPSender posts to the gateway.
type SMSRequest struct {
	// ID is the message id; the gateway should send each id once.
	ID     int64     `json:"id"`
	Phone  string    `json:"phone"`
	Text   string    `json:"text"`
	Topic  string    `json:"topic"`
	SentAt time.Time `json:"sent_at"`
}

// ErrGateway is returned (wrapped) when the gateway refuses a message or
// cannot be reached.
var ErrGateway = errors.New("notify: SMS gateway")

// HTTPSender posts each text message as an SMSRequest to an SMS gateway,
// signed with an HMAC of the body (SignatureHeader) so the gateway can
// check it came from the platform. The phone number is opened from its
// sealed value here, just before sending, and never logged or returned in
// an error.
type HTTPSender struct {
	URL    string
	Secret []byte
	Box    *pii.Box
	// Client is http.DefaultClient with a 10-second timeout when nil.
	Client *http.Client
	Now    func() time.Time
}

// Send posts m to the gateway. Any status but 2xx is an error.
func (h *HTTPSender) Send(ctx context.Context, m Message) error {
	if m.PhoneSealed == "" {
		return fmt.Errorf("notify: message %d has no phone to send to", m.ID)
	}
	phone, err := h.Box.Open(m.PhoneSealed)
	if err != nil {
		return fmt.Errorf("notify: message %d: open phone: %w", m.ID, err)
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	body, err := json.Marshal(SMSRequest{ID: m.ID, Phone: phone, Text: SMSText(m), Topic: m.Topic, SentAt: now().UTC()})
	if err != nil {
		return fmt.Errorf("notify: message %d: %w", m.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: message %d: %v", ErrGateway, m.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(h.Secret, body))
	req.Header.Set("Idempotency-Key", "ys-msg-"+itoa(m.ID))
	c := h.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%w: message %d: %v", ErrGateway, m.ID, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%w: message %d: status %d", ErrGateway, m.ID, resp.StatusCode)
	}
	return nil
}
