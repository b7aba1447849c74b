package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// messageRow is notify_messages, with the viewer's read time when listed.
type messageRow struct {
	ID           int64      `bun:"id"`
	EventID      int64      `bun:"event_id"`
	UserID       int64      `bun:"user_id"`
	DepartmentID int64      `bun:"department_id"`
	PhoneIndex   string     `bun:"phone_index"`
	PhoneSealed  string     `bun:"phone_sealed"`
	Channel      string     `bun:"channel"`
	Topic        string     `bun:"topic"`
	Title        string     `bun:"title"`
	TitleEn      string     `bun:"title_en"`
	Body         string     `bun:"body"`
	BodyEn       string     `bun:"body_en"`
	Link         string     `bun:"link"`
	ObjectType   string     `bun:"object_type"`
	ObjectID     string     `bun:"object_id"`
	CreatedAt    time.Time  `bun:"created_at"`
	DeliveredAt  *time.Time `bun:"delivered_at"`
	Attempts     int        `bun:"attempts"`
	LastError    string     `bun:"last_error"`
	ReadAt       *time.Time `bun:"read_at"`
}

func (r *messageRow) message() Message {
	m := Message{ID: r.ID, EventID: r.EventID, UserID: r.UserID, DepartmentID: r.DepartmentID,
		PhoneIndex: r.PhoneIndex, PhoneSealed: r.PhoneSealed, Channel: Channel(r.Channel), Topic: r.Topic,
		Title: r.Title, TitleEn: r.TitleEn, Body: r.Body, BodyEn: r.BodyEn, Link: r.Link,
		ObjectType: r.ObjectType, ObjectID: r.ObjectID, CreatedAt: r.CreatedAt.UTC(),
		Attempts: r.Attempts, LastError: r.LastError}
	if r.DeliveredAt != nil {
		m.DeliveredAt = r.DeliveredAt.UTC()
	}
	if r.ReadAt != nil {
		m.ReadAt = r.ReadAt.UTC()
	}
	return m
}

const messageCols = `m.id, m.event_id, m.user_id, m.department_id, m.phone_index, m.phone_sealed, m.channel,
	m.topic, m.title, m.title_en, m.body, m.body_en, m.link, m.object_type, m.object_id, m.created_at,
	m.delivered_at, m.attempts, m.last_error`

// key names a message's recipient and channel, for removing duplicates.
func (m *Message) key() string {
	return fmt.Sprintf("%d|%d|%s|%s", m.UserID, m.DepartmentID, m.PhoneIndex, m.Channel)
}

// check refuses a message that names no recipient or more than one, or
// whose channel does not fit its recipient.
func (m *Message) check() error {
	n := 0
	for _, set := range []bool{m.UserID != 0, m.DepartmentID != 0, m.PhoneIndex != ""} {
		if set {
			n++
		}
	}
	switch {
	case n != 1:
		return fmt.Errorf("notify: message %q names %d recipients, want 1", m.Title, n)
	case m.Channel == SMS && (m.PhoneIndex == "" || m.PhoneSealed == ""):
		return fmt.Errorf("notify: text message %q without a phone", m.Title)
	case m.Channel == InApp && m.PhoneIndex != "":
		return fmt.Errorf("notify: in-app message %q to a phone number", m.Title)
	case m.Channel != InApp && m.Channel != SMS:
		return fmt.Errorf("notify: unknown channel %q", m.Channel)
	case m.Title == "" || m.Body == "":
		return fmt.Errorf("notify: message without title or body")
	}
	return nil
}

// deliver writes the messages answering event eventID (those already
// written by an earlier delivery are left alone) and then sends the text
// messages of the event not yet sent. It returns the senders' errors, so
// that the outbox retries the event; a text message tried MaxAttempts
// times is given up.
func (s *Service) deliver(ctx context.Context, eventID int64, topic string, msgs []Message) error {
	now := store.Time(s.d.Now())
	seen := map[string]bool{}
	err := s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range msgs {
			m := &msgs[i]
			if seen[m.key()] {
				continue
			}
			seen[m.key()] = true
			if err := m.check(); err != nil {
				return err
			}
			m.Title, m.TitleEn = scrub(m.Title), scrub(m.TitleEn)
			m.Body, m.BodyEn = scrub(m.Body), scrub(m.BodyEn)
			var delivered any
			if m.Channel == InApp {
				delivered = now
			}
			if _, err := tx.NewRaw(`INSERT INTO notify_messages (event_id, user_id, department_id, phone_index,
				phone_sealed, channel, topic, title, title_en, body, body_en, link, object_type, object_id,
				created_at, delivered_at, attempts, last_error)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '')
				ON CONFLICT DO NOTHING`,
				eventID, m.UserID, m.DepartmentID, m.PhoneIndex, m.PhoneSealed, string(m.Channel), topic,
				m.Title, m.TitleEn, m.Body, m.BodyEn, m.Link, m.ObjectType, m.ObjectID, now, delivered).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("notify: event %d (%s): write messages: %w", eventID, topic, err)
	}
	return s.sendPending(ctx, eventID)
}

// sendPending sends the unsent text messages of event eventID.
func (s *Service) sendPending(ctx context.Context, eventID int64) error {
	var rows []messageRow
	if err := s.d.DB.NewRaw(`SELECT `+messageCols+`, NULL AS read_at FROM notify_messages m
		WHERE m.event_id = ? AND m.delivered_at IS NULL AND m.channel <> ? AND m.attempts < ?
		ORDER BY m.id`, eventID, string(InApp), s.d.MaxAttempts).Scan(ctx, &rows); err != nil {
		return fmt.Errorf("notify: event %d: pending messages: %w", eventID, err)
	}
	var errs []error
	for _, r := range rows {
		m := r.message()
		serr := s.d.Sender.Send(ctx, m)
		now := store.Time(s.d.Now())
		if serr == nil {
			if _, err := s.d.DB.NewRaw(`UPDATE notify_messages SET delivered_at = ?, attempts = attempts + 1,
				last_error = '' WHERE id = ?`, now, m.ID).Exec(ctx); err != nil {
				errs = append(errs, fmt.Errorf("notify: message %d: mark sent: %w", m.ID, err))
			}
			continue
		}
		msg := strings.ToValidUTF8(serr.Error(), "?")
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		if _, err := s.d.DB.NewRaw(`UPDATE notify_messages SET attempts = attempts + 1, last_error = ? WHERE id = ?`,
			msg, m.ID).Exec(ctx); err != nil {
			errs = append(errs, fmt.Errorf("notify: message %d: record failure: %w", m.ID, err))
		}
		if m.Attempts+1 >= s.d.MaxAttempts {
			s.d.Log.ErrorContext(ctx, "notify: text message given up", "message", m.ID, "topic", m.Topic,
				"attempts", m.Attempts+1, "err", serr)
			continue
		}
		errs = append(errs, fmt.Errorf("notify: send message %d: %w", m.ID, serr))
	}
	return errors.Join(errs...)
}

// visible returns the condition selecting the in-app messages actor a may
// see (their own and their departments'), and its arguments.
func visible(a *auth.Actor) (string, []any) {
	cond := "m.channel = ? AND (m.user_id = ?"
	args := []any{string(InApp), a.UserID}
	if len(a.DepartmentIDs) > 0 {
		cond += " OR m.department_id IN (?)"
		args = append(args, bun.In(a.DepartmentIDs))
	}
	return cond + ")", args
}

// Query selects messages for List.
type Query struct {
	Unread bool         // only messages the viewer has not read
	Limit  int          // 20 when zero, at most 200
	After  store.Cursor // the page after this position (Page.Next of the page before)
}

// List returns a page of the messages actor a may see, newest first, with
// a's read times, and where it ends: a keyset page by id, with the count
// bounded at store.CountBound (a department's messages grow with every
// case it handles).
func (s *Service) List(ctx context.Context, a *auth.Actor, q Query) ([]Message, store.Page, error) {
	if a == nil || a.UserID == 0 {
		return []Message{}, store.Page{}, nil
	}
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, 200)
	cond, args := visible(a)
	if q.Unread {
		cond += " AND r.read_at IS NULL"
	}
	from := ` FROM notify_messages m LEFT JOIN notify_reads r ON r.message_id = m.id AND r.user_id = ? WHERE ` + cond
	fargs := append([]any{a.UserID}, args...)
	var pg store.Page
	var n int
	// The count reads at most CountBound+1 rows, newest first.
	if err := s.d.DB.NewRaw(`SELECT COUNT(*) FROM (SELECT m.id`+from+` ORDER BY m.id DESC LIMIT `+strconv.Itoa(store.CountBound+1)+`) AS bounded`,
		fargs...).Scan(ctx, &n); err != nil {
		return nil, store.Page{}, fmt.Errorf("notify: list messages: %w", err)
	}
	pg.Count = n
	ks, kargs := store.Before("", "m.id", q.After)
	var rows []messageRow
	if err := s.d.DB.NewRaw(`SELECT `+messageCols+`, r.read_at`+from+` AND `+ks+` ORDER BY m.id DESC LIMIT ?`,
		append(append(slices.Clone(fargs), kargs...), q.Limit+1)...).Scan(ctx, &rows); err != nil {
		return nil, store.Page{}, fmt.Errorf("notify: list messages: %w", err)
	}
	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	out := make([]Message, len(rows))
	for i := range rows {
		out[i] = rows[i].message()
	}
	if more {
		pg.Next = store.Cursor{ID: out[len(out)-1].ID}
	}
	return out, pg, nil
}

// Unread returns how many of the messages actor a may see are unread.
func (s *Service) Unread(ctx context.Context, a *auth.Actor) (int, error) {
	_, pg, err := s.List(ctx, a, Query{Unread: true, Limit: 1})
	return pg.Count, err
}

// MarkRead records that actor a read message id. A message a may not see
// is ErrNotFound; reading a message twice keeps the first time.
func (s *Service) MarkRead(ctx context.Context, a *auth.Actor, id int64) error {
	if a == nil || a.UserID == 0 {
		return ErrNotFound
	}
	cond, args := visible(a)
	var n int
	if err := s.d.DB.NewRaw(`SELECT COUNT(*) FROM notify_messages m WHERE m.id = ? AND `+cond,
		append([]any{id}, args...)...).Scan(ctx, &n); err != nil {
		return fmt.Errorf("notify: read message %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("notify: read message %d: %w", id, ErrNotFound)
	}
	if _, err := s.d.DB.NewRaw(`INSERT INTO notify_reads (message_id, user_id, read_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, id, a.UserID, store.Time(s.d.Now())).Exec(ctx); err != nil {
		return fmt.Errorf("notify: read message %d: %w", id, err)
	}
	return nil
}

// MarkAllRead marks every message actor a may see as read and returns how
// many were unread.
func (s *Service) MarkAllRead(ctx context.Context, a *auth.Actor) (int, error) {
	if a == nil || a.UserID == 0 {
		return 0, nil
	}
	cond, args := visible(a)
	res, err := s.d.DB.NewRaw(`INSERT INTO notify_reads (message_id, user_id, read_at)
		SELECT m.id, ?, ? FROM notify_messages m WHERE `+cond+`
		AND NOT EXISTS (SELECT 1 FROM notify_reads r WHERE r.message_id = m.id AND r.user_id = ?)
		ON CONFLICT DO NOTHING`, append(append([]any{a.UserID, store.Time(s.d.Now())}, args...), a.UserID)...).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("notify: read all messages: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("notify: read all messages: %w", err)
	}
	return int(n), nil
}

// Messages returns every message written for event eventID, in id order,
// whatever its channel: for operators checking what an event caused, and
// for tests.
func (s *Service) Messages(ctx context.Context, eventID int64) ([]Message, error) {
	var rows []messageRow
	if err := s.d.DB.NewRaw(`SELECT `+messageCols+`, NULL AS read_at FROM notify_messages m
		WHERE m.event_id = ? ORDER BY m.id`, eventID).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("notify: messages of event %d: %w", eventID, err)
	}
	out := make([]Message, len(rows))
	for i := range rows {
		out[i] = rows[i].message()
	}
	return out, nil
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
