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
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/pii"
)

// Sender sends a message on an external channel (today: SMS). Send must
// fail when the message was not accepted, so that it is tried again; it
// may be called again for a message it already sent (after a crash), so a
// gateway should treat the message id as an idempotency key.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender records text messages in the log instead of sending them: the
// default, for a platform without an SMS gateway. It logs that a message
// would have gone, by id and topic, with the recipient masked, never the
// text: texts carry bearer links (the satisfaction survey of an order),
// with which anyone reading the log could rate and reopen the order. The
// text stays readable in the platform (notify_messages) for whoever may see
// the message.
type LogSender struct {
	Log *slog.Logger
	// Box opens the sealed phone number to log it masked (138****5678);
	// without it only a prefix of the number's blind index is logged.
	Box *pii.Box
}

// Send logs that m would have been sent.
func (l LogSender) Send(ctx context.Context, m Message) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "notify: text message not sent (no SMS gateway configured)", "message", m.ID,
		"topic", m.Topic, "to", l.recipient(m), "chars", utf8.RuneCountInString(SMSText(m)))
	return nil
}

// recipient names the recipient of m for the log, masked.
func (l LogSender) recipient(m Message) string {
	if l.Box != nil && m.PhoneSealed != "" {
		if phone, err := l.Box.Open(m.PhoneSealed); err == nil {
			return pii.MaskPhone(phone)
		}
	}
	idx := m.PhoneIndex
	if len(idx) > 8 {
		idx = idx[:8]
	}
	if idx == "" {
		return ""
	}
	return "phone#" + idx
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
