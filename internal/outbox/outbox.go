// Package outbox carries events from a state change to whoever reacts to it
// (notifications, search indexing, fan-out to other systems) without losing
// or inventing any.
//
// An event is written with Add in the same transaction as the change it
// announces, so a rolled-back change announces nothing and a committed one is
// never forgotten. A Dispatcher then delivers pending events to subscribed
// handlers, at least once: a handler may see an event again after a crash or
// a failure, so handlers must be idempotent. Events of one topic are not
// guaranteed to arrive in order once retries are involved.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// MaxPayload is the largest encoded payload an event may carry. Events name
// what changed; receivers read the details from its owner.
const MaxPayload = 64 << 10

// ErrInvalidEvent is returned (wrapped) by Add for an event it will not
// store; nothing is written.
var ErrInvalidEvent = errors.New("outbox: invalid event")

// Event is one delivered event.
type Event struct {
	ID        int64
	Topic     string // e.g. "flow.transitioned"
	Payload   json.RawMessage
	CreatedAt time.Time
	Attempt   int // 1 on first delivery, counting every claim since
}

// Decode unmarshals the payload into v.
func (e Event) Decode(v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("outbox: decode event %d (%s): %w", e.ID, e.Topic, err)
	}
	return nil
}

// Add records an event on topic in tx, the transaction making the change the
// event announces. payload is JSON-marshalled.
func Add(ctx context.Context, tx store.IDB, now time.Time, topic string, payload any) error {
	if err := validTopic(topic); err != nil {
		return err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("%w: %s: payload: %v", ErrInvalidEvent, topic, err)
	}
	if len(body) > MaxPayload {
		return fmt.Errorf("%w: %s: payload is %d bytes, limit %d", ErrInvalidEvent, topic, len(body), MaxPayload)
	}
	if _, err := store.Exec(ctx, tx, "INSERT INTO outbox (topic, payload, created_at) VALUES (?, ?, ?)",
		topic, string(body), store.Time(now)); err != nil {
		return fmt.Errorf("outbox: add %s: %w", topic, err)
	}
	return nil
}

// Message is one event for AddAll.
type Message struct {
	Topic   string
	Payload any // JSON-marshalled
}

// addRows bounds the events of one INSERT (three values a row), far below
// both engines' limits on a statement's size and bound parameters.
const addRows = 500

// AddAll records msgs in tx, in their order, as Add would one by one, with
// multi-row INSERTs: for a transaction announcing many changes at once
// (the warnings of a classification chunk). Nothing is written when one of
// them is invalid.
func AddAll(ctx context.Context, tx store.IDB, now time.Time, msgs []Message) error {
	bodies := make([]string, len(msgs))
	for i, m := range msgs {
		if err := validTopic(m.Topic); err != nil {
			return err
		}
		body, err := json.Marshal(m.Payload)
		if err != nil {
			return fmt.Errorf("%w: %s: payload: %v", ErrInvalidEvent, m.Topic, err)
		}
		if len(body) > MaxPayload {
			return fmt.Errorf("%w: %s: payload is %d bytes, limit %d", ErrInvalidEvent, m.Topic, len(body), MaxPayload)
		}
		bodies[i] = string(body)
	}
	at := store.Time(now)
	for start := 0; start < len(msgs); start += addRows {
		end := min(start+addRows, len(msgs))
		var q strings.Builder
		q.WriteString("INSERT INTO outbox (topic, payload, created_at) VALUES ")
		args := make([]any, 0, 3*(end-start))
		for i := start; i < end; i++ {
			if i > start {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?)")
			args = append(args, msgs[i].Topic, bodies[i], at)
		}
		// Through bun, not store.Exec: texts of every length would crowd
		// the statements the hot paths keep prepared.
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("outbox: add %d events (%s…): %w", end-start, msgs[start].Topic, err)
		}
	}
	return nil
}

// validTopic accepts dot-separated names without wildcards or spaces.
func validTopic(topic string) error {
	switch {
	case topic == "":
		return fmt.Errorf("%w: empty topic", ErrInvalidEvent)
	case len(topic) > 200:
		return fmt.Errorf("%w: topic longer than 200 bytes", ErrInvalidEvent)
	case strings.ContainsAny(topic, "* \t\r\n"):
		return fmt.Errorf("%w: topic %q holds a wildcard or space", ErrInvalidEvent, topic)
	case strings.HasPrefix(topic, ".") || strings.HasSuffix(topic, ".") || strings.Contains(topic, ".."):
		return fmt.Errorf("%w: topic %q has an empty part", ErrInvalidEvent, topic)
	}
	return nil
}

// Pending returns how many events are not yet delivered, retrying ones
// included. It is exported as a metric: a number that keeps growing means a
// dispatcher is down or a handler keeps failing.
func Pending(ctx context.Context, db store.IDB) (int, error) {
	var n int
	if err := db.NewRaw("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("outbox: count pending: %w", err)
	}
	return n, nil
}
