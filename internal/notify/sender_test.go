package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// gateway is an SMS gateway on 127.0.0.1 that checks signatures.
type gateway struct {
	srv    *httptest.Server
	secret []byte
	mu     sync.Mutex
	got    []notify.SMSRequest
	bad    int // requests with a wrong signature
	status int // answer with this status; 200 when zero
}

func newGateway(t *testing.T) *gateway {
	g := &gateway{secret: []byte("gateway-secret")}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		defer g.mu.Unlock()
		if r.Header.Get(notify.SignatureHeader) != notify.Sign(g.secret, body) {
			g.bad++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var req notify.SMSRequest
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		g.got = append(g.got, req)
		if g.status != 0 {
			w.WriteHeader(g.status)
		}
	}))
	g.srv.Listener.Close()
	g.srv.Listener = ln
	g.srv.Start()
	t.Cleanup(g.srv.Close)
	return g
}

func TestHTTPSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		g := newGateway(t)
		box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		sender := &notify.HTTPSender{URL: g.srv.URL + "/sms", Secret: g.secret, Box: box}
		w := setupWith(t, db, sender)
		ctx := context.Background()
		// Staff wrote an identity number and a phone number into the text:
		// neither may leave in the text message, nor be stored.
		msg := "您的工单办理时限已延长。经办人核对身份证110101199003071234，联系13912345678。"
		if err := w.svc.Handle(ctx, event(1, "hotline.notify", map[string]any{"order_id": 2, "number": w.orders[2].Number,
			"kind": "extension", "granted": true, "days": 3, "message": msg})); err != nil {
			t.Fatal(err)
		}
		if len(g.got) != 1 || g.bad != 0 {
			t.Fatalf("gateway got %d requests, %d badly signed", len(g.got), g.bad)
		}
		req := g.got[0]
		if req.Phone != phone {
			t.Errorf("phone sent %q, want %q", req.Phone, phone)
		}
		for _, secret := range []string{"110101199003071234", "13912345678"} {
			if strings.Contains(req.Text, secret) {
				t.Errorf("text message carries %s: %q", secret, req.Text)
			}
		}
		if !strings.Contains(req.Text, "110***********1234") || !strings.Contains(req.Text, "已延长") {
			t.Errorf("text %q", req.Text)
		}
		// No column of the stored row holds a personal number in clear.
		var rows []map[string]any
		if err := db.NewRaw("SELECT * FROM notify_messages").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		for col, v := range rows[0] {
			s, _ := v.(string)
			if b, ok := v.([]byte); ok {
				s = string(b)
			}
			for _, secret := range []string{phone, "110101199003071234", "13912345678"} {
				if strings.Contains(s, secret) {
					t.Errorf("column %s holds %s", col, secret)
				}
			}
		}
		msgs, _ := w.svc.Messages(ctx, 1)
		if msgs[0].PhoneIndex != box.Index(phone) || msgs[0].DeliveredAt.IsZero() {
			t.Errorf("stored %+v", msgs[0])
		}
		if opened, err := box.Open(msgs[0].PhoneSealed); err != nil || opened != phone {
			t.Errorf("sealed phone opens to %q (%v)", opened, err)
		}

		// A refusing gateway fails the event, to be retried.
		g.status = http.StatusServiceUnavailable
		err := w.svc.Handle(ctx, event(2, "hotline.transfer_110", map[string]any{"order_id": 2}))
		if err == nil || !strings.Contains(err.Error(), "503") || strings.Contains(err.Error(), phone) {
			t.Errorf("refused send: %v", err)
		}
		// A wrong secret is refused by the gateway.
		g.status = 0
		bad := &notify.HTTPSender{URL: g.srv.URL, Secret: []byte("other"), Box: box}
		if err := bad.Send(ctx, notify.Message{ID: 9, PhoneSealed: box.Seal(phone), Body: "x"}); err == nil || g.bad != 1 {
			t.Errorf("badly signed send: %v (bad %d)", err, g.bad)
		}
	})
}

func TestSMSTextKeepsOrderNumbers(t *testing.T) {
	// A 20-digit order number is not an identity or phone number.
	m := notify.Message{Body: "工单号12345202609300000002已办结"}
	if got := notify.SMSText(m); got != m.Body {
		t.Errorf("SMSText = %q", got)
	}
	long := notify.Message{Body: strings.Repeat("长", 400)}
	if n := len([]rune(notify.SMSText(long))); n != 300 {
		t.Errorf("long text cut to %d characters, want 300", n)
	}
}

// TestTopicsMatchModules keeps notify's topic names equal to those the
// modules write.
func TestTopicsMatchModules(t *testing.T) {
	for _, c := range [][2]string{
		{notify.TopicHotlineReplied, hotline.TopicReplied},
		{notify.TopicHotlineFeedback, hotline.TopicFeedback},
		{notify.TopicHotlineNotify, hotline.TopicNotify},
		{notify.TopicHotlineTransfer110, hotline.TopicTransfer110},
		{notify.TopicCaseSubmitted, casework.TopicSubmitted},
		{notify.TopicCaseChanged, casework.TopicChanged},
		{notify.TopicCaseDecided, casework.TopicDecided},
		{notify.TopicBundleSubmitted, casework.TopicBundleSubmitted},
		{notify.TopicCertIssued, certificate.TopicIssued},
		{notify.TopicCertRevoked, certificate.TopicRevoked},
		{notify.TopicCertUsed, certificate.TopicUsed},
		{notify.TopicCertVerification, certificate.TopicVerificationAsked},
		{notify.TopicFlowEscalated, flow.TopicEscalated},
		{notify.TopicFlowSupervised, flow.TopicSupervised},
		{notify.TopicCreditRepairable, credit.TopicRepairable},
		{notify.TopicCreditDecided, credit.TopicRepairDecided},
		{notify.TopicFlowTransition, flow.TopicTransition},
		{"hotline_order", hotline.Kind},
	} {
		if c[0] != c[1] {
			t.Errorf("notify uses %q, the module writes %q", c[0], c[1])
		}
	}
}

// Without a gateway the text messages go to the log. The text of a closed
// order's message carries the bearer link of its satisfaction survey, with
// which anyone could rate and reopen the order: the log names the message
// and the masked recipient, never the text, the link or the number.
func TestLogSenderKeepsLinksOutOfTheLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logged bytes.Buffer
		log := slog.New(slog.NewJSONHandler(&logged, nil))
		box, err := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		w := setupWith(t, db, notify.LogSender{Log: log, Box: box})
		ctx := context.Background()
		d := outbox.NewDispatcher(db, nil, w.clock.Now)
		w.svc.Register(d)
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return outbox.Add(ctx, tx, w.clock.Now(), "flow.transition", map[string]any{"instance_id": 99,
				"subject_type": "hotline_order", "subject_id": 2, "action": "close", "from": "replied", "to": "closed"})
		}); err != nil {
			t.Fatal(err)
		}
		for {
			n, err := d.RunOnce(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		var sms notify.Message
		var found bool
		if err := db.NewRaw("SELECT id FROM outbox WHERE topic = 'flow.transition'").Scan(ctx, &sms.EventID); err != nil {
			t.Fatal(err)
		}
		msgs, _ := w.svc.Messages(ctx, sms.EventID)
		for _, m := range msgs {
			if m.Channel == notify.SMS {
				sms, found = m, true
			}
		}
		if !found || !strings.Contains(notify.SMSText(sms), "/hotline/visit/2.abc.sig") {
			t.Fatalf("no SMS with the visit link was made: %+v", msgs)
		}
		out := logged.String()
		for _, secret := range []string{"/hotline/visit/", "2.abc.sig", phone, notify.SMSText(sms), sms.Body} {
			if strings.Contains(out, secret) {
				t.Errorf("the log holds %q:\n%s", secret, out)
			}
		}
		if !strings.Contains(out, `"message":`+strconv.FormatInt(sms.ID, 10)) || !strings.Contains(out, pii.MaskPhone(phone)) {
			t.Errorf("the log does not name message %d and its masked recipient:\n%s", sms.ID, out)
		}
	})
}
