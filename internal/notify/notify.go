// Package notify tells people what happened to their affairs. It
// subscribes to the outbox events other modules write (a hotline reply, an
// extension decision, an application's progress, a certificate issued, an
// escalation order) and turns each into messages: in-app messages for users
// and departments, and text messages (SMS) for hotline callers without an
// account.
//
// Delivery is at least once: the outbox may hand the same event over again,
// so every message carries the event id, and the event id, the recipient
// and the channel together are unique. A text message that cannot be sent
// makes the handler fail, and the outbox retries the event later; the
// messages already written stay as they are.
//
// Phone numbers are never held in plaintext: a text message to a caller
// keeps the number's blind index (to recognise the recipient) and its
// sealed value, which only the Sender opens, at sending time.
package notify

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"time"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed locales/*.json
var localeFS embed.FS

// Channel is the way a message reaches its recipient.
type Channel string

// Channels.
const (
	InApp Channel = "in_app" // shown on /messages
	SMS   Channel = "sms"    // sent through the Sender
)

// ErrNotFound is returned for a message that does not exist or that the
// caller may not see; the two are not told apart. The web layer maps it to
// 404.
var ErrNotFound error = notFoundError{}

type notFoundError struct{}

func (notFoundError) Error() string  { return "notify: message not found" }
func (notFoundError) NotFound() bool { return true }

// Message is one message to one recipient on one channel. Exactly one of
// UserID, DepartmentID and PhoneIndex names the recipient.
type Message struct {
	ID      int64 `json:"id"`
	EventID int64 `json:"-"`
	// UserID addresses one user.
	UserID int64 `json:"user_id,omitempty"`
	// DepartmentID addresses every member of a department.
	DepartmentID int64 `json:"department_id,omitempty"`
	// PhoneIndex is the blind index (pii.Box.Index) of the phone number of
	// a recipient without an account; PhoneSealed is the same number
	// sealed with the box, opened only by the Sender.
	PhoneIndex  string  `json:"-"`
	PhoneSealed string  `json:"-"`
	Channel     Channel `json:"channel"`
	Topic       string  `json:"topic"`
	Title       string  `json:"title"`
	TitleEn     string  `json:"title_en,omitempty"`
	Body        string  `json:"body"`
	BodyEn      string  `json:"body_en,omitempty"`
	// Link is where the message leads: a path in the platform (or, for
	// a return-visit link, the absolute URL the hotline made).
	Link       string    `json:"link,omitempty"`
	ObjectType string    `json:"object_type,omitempty"`
	ObjectID   string    `json:"object_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	// ReadAt is when the viewer read the message; zero while unread.
	ReadAt time.Time `json:"read_at,omitzero"`

	DeliveredAt time.Time `json:"-"`
	Attempts    int       `json:"-"`
	LastError   string    `json:"-"`
}

// Read reports whether the viewer has read the message.
func (m *Message) Read() bool { return !m.ReadAt.IsZero() }

// TitleIn returns the title in lang, falling back to Chinese.
func (m *Message) TitleIn(lang string) string { return pick(lang, m.Title, m.TitleEn) }

// BodyIn returns the body in lang, falling back to Chinese.
func (m *Message) BodyIn(lang string) string { return pick(lang, m.Body, m.BodyEn) }

func pick(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return zh
}

// Caller is who called the hotline about an order, as the hotline stores
// it.
type Caller struct {
	// UserID is the signed-in citizen or enterprise user who raised the
	// order; 0 for a caller without an account.
	UserID     int64
	Number     string // the order number, e.g. 12345202609300001
	RegionCode string // the order's region
	// PhoneSealed and PhoneIndex are the caller's phone exactly as the
	// hotline stores them (hotline_orders.caller_phone and
	// caller_phone_idx): sealed with, and indexed by, the same pii.Box.
	PhoneSealed string
	PhoneIndex  string
	// Track is the tracking link of an order filed on the web without an
	// account: the only way its submitter follows it, so text messages
	// about it carry the link.
	Track string
}

// HotlineOrders is what notify needs from the hotline module.
type HotlineOrders interface {
	// OrderCaller returns the caller of order id, read without an
	// authorisation check (notify is a system reader).
	OrderCaller(ctx context.Context, id int64) (Caller, error)
	// VisitLink returns the return-visit link of order id
	// (hotline.Module.VisitLink).
	VisitLink(id int64) string
}

// HotlineFuncs adapts two functions to HotlineOrders.
type HotlineFuncs struct {
	Caller func(ctx context.Context, id int64) (Caller, error)
	Visit  func(id int64) string
}

// OrderCaller calls f.Caller.
func (f HotlineFuncs) OrderCaller(ctx context.Context, id int64) (Caller, error) {
	return f.Caller(ctx, id)
}

// VisitLink calls f.Visit, or returns "" without one.
func (f HotlineFuncs) VisitLink(id int64) string {
	if f.Visit == nil {
		return ""
	}
	return f.Visit(id)
}

// Holder is whom a certificate belongs to.
type Holder struct {
	UserID int64  // the holder's account, 0 when unknown
	USCC   string // the holding enterprise, "" for a person
	Number string // the certificate number
}

// CertificateHolders finds the holder of a certificate, for the events
// (certificate.used) whose payload does not name one.
type CertificateHolders interface {
	CertificateHolder(ctx context.Context, id int64) (Holder, error)
}

// HolderFunc adapts a function to CertificateHolders.
type HolderFunc func(ctx context.Context, id int64) (Holder, error)

// CertificateHolder calls f.
func (f HolderFunc) CertificateHolder(ctx context.Context, id int64) (Holder, error) {
	return f(ctx, id)
}

// Instances reads workflow instances; *flow.Engine is one.
type Instances interface {
	Instance(ctx context.Context, id int64) (*flow.Instance, error)
}

// Deps are what the service uses. DB, Org are required; a nil Hotline,
// Flow or Certificates leaves the events that need it unsubscribed (or,
// for Certificates, certificate.used without a message).
type Deps struct {
	DB  *store.DB
	Org *org.Service
	// Sender sends text messages; LogSender (which only logs) when nil.
	Sender       Sender
	Hotline      HotlineOrders
	Flow         Instances
	Certificates CertificateHolders
	Log          *slog.Logger
	Now          func() time.Time
	// MaxAttempts is how many times a text message is tried before it
	// is given up (logged and left undelivered, so the event can
	// complete); 10 when zero.
	MaxAttempts int
}

// Service writes, sends and lists messages, and serves /messages.
type Service struct {
	d Deps
	s *web.Server
}

// New returns the service.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Org == nil {
		return nil, errors.New("notify: DB and Org are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Sender == nil {
		d.Sender = LogSender{Log: d.Log}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.MaxAttempts <= 0 {
		d.MaxAttempts = 10
	}
	return &Service{d: d}, nil
}
