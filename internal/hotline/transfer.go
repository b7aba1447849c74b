package hotline

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// SignatureHeader carries the HMAC-SHA256 of a webhook body, as
// "sha256=<hex>", keyed with Config.Webhook110Secret.
const SignatureHeader = "X-Yingshang-Signature"

// Sign returns the signature header value of body under key.
func Sign(key, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// TransferTo110 hands an order in danger of life or property (or otherwise
// a police matter) to 110 (转110). The order ends here; the webhook call is
// made by Deliver110 from the outbox, with retries, and 110's outcome is
// recorded later with RecordTransferOutcome.
func (m *Module) TransferTo110(ctx context.Context, a *auth.Actor, id int64, reason string) (*Order, error) {
	if err := text("reason", reason, 1000, true); err != nil {
		return nil, err
	}
	return m.apply(ctx, a, id, step{action: "transfer_110", comment: strings.TrimSpace(reason), check: wantStatus(StatusNew),
		update: func(ctx context.Context, tx store.Tx, o *Order, now time.Time) error {
			if _, err := tx.ExecContext(ctx, "UPDATE hotline_orders SET status = ?, updated_at = ? WHERE id = ?",
				StatusTransferred, now, o.ID); err != nil {
				return err
			}
			return outbox.Add(ctx, tx, now, TopicTransfer110, map[string]any{"order_id": o.ID, "reason": strings.TrimSpace(reason)})
		}})
}

// Transfer110 is the body POSTed to 110's webhook. The caller's phone is
// sent in full: 110 must be able to call back.
type Transfer110 struct {
	Number      string    `json:"number"`
	Type        Type      `json:"type"`
	Category    string    `json:"category"`
	Title       string    `json:"title"`
	Content     string    `json:"content"`
	CallerName  string    `json:"caller_name"`
	CallerPhone string    `json:"caller_phone"`
	RegionCode  string    `json:"region_code"`
	Address     string    `json:"address"`
	Lat         *float64  `json:"lat,omitempty"`
	Lng         *float64  `json:"lng,omitempty"`
	Urgent      bool      `json:"urgent"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
}

// Deliver110 is the outbox handler for TopicTransfer110: it POSTs the order
// to Config.Webhook110, signed. A failure (network, non-2xx) is returned so
// the dispatcher retries with backoff. The lead registers it:
//
//	dispatcher.Subscribe(hotline.TopicTransfer110, m.Deliver110)
func (m *Module) Deliver110(ctx context.Context, e outbox.Event) error {
	var p struct {
		OrderID int64  `json:"order_id"`
		Reason  string `json:"reason"`
	}
	if err := e.Decode(&p); err != nil {
		return nil // a malformed event never gets better; drop it
	}
	if m.d.Config.Webhook110 == "" {
		return nil
	}
	o, err := m.load(ctx, m.d.DB, p.OrderID)
	if err != nil {
		return fmt.Errorf("hotline: deliver 110: %w", err)
	}
	phone, err := m.d.Box.Open(o.phoneSealed)
	if err != nil {
		return fmt.Errorf("hotline: deliver 110 %s: %w", o.Number, err)
	}
	body, err := json.Marshal(Transfer110{Number: o.Number, Type: o.Type, Category: m.CategoryPath(o.CategoryCode),
		Title: o.Title, Content: o.Content, CallerName: o.CallerName, CallerPhone: phone, RegionCode: o.RegionCode,
		Address: o.Address, Lat: o.Lat, Lng: o.Lng, Urgent: o.Urgent, Reason: p.Reason, CreatedAt: o.CreatedAt})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.d.Config.Webhook110, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("hotline: deliver 110 %s: %w", o.Number, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(m.d.Config.Webhook110Secret, body))
	req.Header.Set("Idempotency-Key", o.Number)
	resp, err := m.d.Config.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("hotline: deliver 110 %s: %w", o.Number, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("hotline: deliver 110 %s: webhook answered %s", o.Number, resp.Status)
	}
	return nil
}

// RecordTransferOutcome records what 110 did with an order transferred to
// it (110 reports it through the API).
func (m *Module) RecordTransferOutcome(ctx context.Context, a *auth.Actor, id int64, outcome string) (*Order, error) {
	if err := text("outcome", outcome, 1000, true); err != nil {
		return nil, err
	}
	outcome = strings.TrimSpace(outcome)
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, false); err != nil {
			return err
		}
		if err := wantStatus(StatusTransferred)(o); err != nil {
			return err
		}
		now := store.Time(m.d.Now())
		if _, err := tx.ExecContext(ctx, "UPDATE hotline_orders SET transfer_outcome = ?, updated_at = ? WHERE id = ?",
			outcome, now, id); err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.transfer_outcome",
			ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode, Detail: map[string]string{"outcome": outcome}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.Get(ctx, a, id)
}
