package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// clock is a test time source moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type payload struct {
	Case int    `json:"case"`
	Note string `json:"note"`
}

func add(t testing.TB, db *store.DB, now time.Time, topic string, p any) {
	t.Helper()
	err := db.WithTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return outbox.Add(ctx, tx, now, topic, p)
	})
	if err != nil {
		t.Fatalf("add %s: %v", topic, err)
	}
}

func pending(t testing.TB, db *store.DB) int {
	t.Helper()
	n, err := outbox.Pending(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func runOnce(t testing.TB, d *outbox.Dispatcher) int {
	t.Helper()
	n, err := d.RunOnce(context.Background(), 10)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return n
}

func TestRolledBackEventIsNeverDelivered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		boom := errors.New("boom")
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := outbox.Add(ctx, tx, c.Now(), "flow.transitioned", payload{Case: 1}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx: %v", err)
		}
		d := outbox.NewDispatcher(db, nil, c.Now)
		var got int
		d.Subscribe("*", func(context.Context, outbox.Event) error { got++; return nil })
		if n := runOnce(t, d); n != 0 || got != 0 || pending(t, db) != 0 {
			t.Errorf("rolled-back event: delivered %d, handled %d, pending %d", n, got, pending(t, db))
		}
	})
}

func TestDeliveredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClock()
		for i := range 3 {
			add(t, db, c.Now(), "flow.transitioned", payload{Case: i, Note: "已受理"})
		}
		add(t, db, c.Now(), "flowx.other", payload{})  // not under "flow."
		add(t, db, c.Now(), "user.created", payload{}) // nobody listens
		if n := pending(t, db); n != 5 {
			t.Fatalf("pending = %d, want 5", n)
		}
		d := outbox.NewDispatcher(db, nil, c.Now)
		var got []payload
		var exact, flowx int
		d.Subscribe("flow.*", func(ctx context.Context, e outbox.Event) error {
			var p payload
			if err := e.Decode(&p); err != nil {
				return err
			}
			if e.Attempt != 1 || !e.CreatedAt.Equal(c.Now()) {
				t.Errorf("event %d: attempt %d created %v", e.ID, e.Attempt, e.CreatedAt)
			}
			got = append(got, p)
			return nil
		})
		d.Subscribe("flow.transitioned", func(context.Context, outbox.Event) error { exact++; return nil })
		d.Subscribe("flowx.other", func(context.Context, outbox.Event) error { flowx++; return nil })
		if n := runOnce(t, d); n != 5 {
			t.Errorf("first RunOnce delivered %d, want 5", n)
		}
		if n := runOnce(t, d); n != 0 {
			t.Errorf("second RunOnce delivered %d, want 0", n)
		}
		if len(got) != 3 || got[0] != (payload{0, "已受理"}) || got[2].Case != 2 {
			t.Errorf("prefix handler got %+v", got)
		}
		if exact != 3 || flowx != 1 {
			t.Errorf("exact handler %d times, flowx %d; want 3, 1", exact, flowx)
		}
		if n := pending(t, db); n != 0 {
			t.Errorf("pending after delivery = %d", n)
		}
	})
}

func TestFailingHandlerRetries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		add(t, db, c.Now(), "notify.sms", payload{Case: 1})
		add(t, db, c.Now(), "notify.mail", payload{Case: 2})
		d := outbox.NewDispatcher(db, nil, c.Now)
		d.MinBackoff = 10 * time.Second
		var sms, mail []int
		d.Subscribe("notify.sms", func(ctx context.Context, e outbox.Event) error {
			sms = append(sms, e.Attempt)
			switch e.Attempt {
			case 1:
				return errors.New("gateway down")
			case 2:
				panic("bad gateway reply")
			}
			return nil
		})
		d.Subscribe("notify.mail", func(context.Context, outbox.Event) error { mail = append(mail, 1); return nil })

		lastError := func() (string, int) {
			var msg string
			var attempts int
			if err := db.NewRaw("SELECT last_error, attempts FROM outbox WHERE topic = 'notify.sms'").Scan(ctx, &msg, &attempts); err != nil {
				t.Fatal(err)
			}
			return msg, attempts
		}
		steps := []struct {
			advance   time.Duration
			delivered int
			sms       int // handler calls so far
			errLike   string
		}{
			{0, 1, 1, "gateway down"},            // the failure does not hold back mail
			{0, 0, 1, "gateway down"},            // not retried before its backoff
			{10 * time.Second, 0, 2, "panicked"}, // retried; panics, recorded
			{19 * time.Second, 0, 2, "panicked"}, // second backoff doubles to 20s
			{time.Second, 1, 3, ""},              // third attempt succeeds
			{time.Hour, 0, 3, ""},                // delivered events stay delivered
		}
		for i, s := range steps {
			c.Advance(s.advance)
			if n := runOnce(t, d); n != s.delivered || len(sms) != s.sms {
				t.Fatalf("step %d: delivered %d, sms calls %d; want %d, %d", i, n, len(sms), s.delivered, s.sms)
			}
			if msg, _ := lastError(); s.errLike != "" && !strings.Contains(msg, s.errLike) {
				t.Errorf("step %d: last_error %q, want it to mention %q", i, msg, s.errLike)
			}
		}
		if _, attempts := lastError(); attempts != 3 {
			t.Errorf("attempts = %d, want 3", attempts)
		}
		if fmt.Sprint(sms) != "[1 2 3]" || len(mail) != 1 {
			t.Errorf("sms attempts %v, mail deliveries %d", sms, len(mail))
		}
	})
}

// A dispatcher that dies after claiming leaves its events to others once the
// lease ends, not before.
func TestExpiredLeaseIsReclaimed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		add(t, db, c.Now(), "flow.transitioned", payload{})
		dead := outbox.NewDispatcher(db, nil, c.Now)
		// Crash inside the handler: RunOnce never returns.
		crash, end := make(chan struct{}), make(chan struct{})
		t.Cleanup(func() { close(end) })
		dead.Subscribe("flow.*", func(context.Context, outbox.Event) error {
			close(crash)
			<-end // hangs until the test is over
			return errors.New("gone")
		})
		go dead.RunOnce(ctx, 10)
		<-crash

		d := outbox.NewDispatcher(db, nil, c.Now)
		var got []int
		d.Subscribe("flow.*", func(_ context.Context, e outbox.Event) error { got = append(got, e.Attempt); return nil })
		if n := runOnce(t, d); n != 0 {
			t.Fatalf("delivered %d while another dispatcher holds the lease", n)
		}
		c.Advance(d.Lease)
		if n := runOnce(t, d); n != 1 || fmt.Sprint(got) != "[2]" {
			t.Fatalf("after the lease: delivered %d, attempts seen %v; want 1, [2]", n, got)
		}
	})
}

func TestRacingDispatchersDeliverOnce(t *testing.T) {
	const events, dispatchers = 300, 4
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			for i := range events {
				if err := outbox.Add(ctx, tx, c.Now(), "case.updated", payload{Case: i}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		var total [dispatchers]int
		for w := range dispatchers {
			d := outbox.NewDispatcher(db, nil, c.Now)
			d.Subscribe("case.*", func(_ context.Context, e outbox.Event) error {
				mu.Lock()
				seen[e.ID]++
				mu.Unlock()
				time.Sleep(100 * time.Microsecond)
				return nil
			})
			wg.Go(func() {
				for {
					n, err := d.RunOnce(ctx, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
					total[w] += n
				}
			})
		}
		wg.Wait()
		if len(seen) != events {
			t.Errorf("%d distinct events delivered, want %d", len(seen), events)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("event %d delivered %d times", id, n)
			}
		}
		sum := 0
		for _, n := range total {
			sum += n
		}
		if sum != events || pending(t, db) != 0 {
			t.Errorf("dispatchers report %v (sum %d), pending %d", total, sum, pending(t, db))
		}
		t.Logf("per dispatcher: %v", total)
	})
}

func TestRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		d := outbox.NewDispatcher(db, nil, time.Now)
		got := make(chan int64, 300)
		d.Subscribe("case.updated", func(_ context.Context, e outbox.Event) error { got <- e.ID; return nil })
		done := make(chan error)
		go func() { done <- d.Run(ctx, 10*time.Millisecond) }()
		// More than one batch arrives after Run started.
		for i := range 250 {
			add(t, db, time.Now(), "case.updated", payload{Case: i})
		}
		for i := range 250 {
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				t.Fatalf("only %d of 250 events delivered", i)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after cancel", err)
		}
	})
}

func TestAddRejects(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		tests := []struct {
			topic   string
			payload any
		}{
			{"", nil},
			{"flow.*", nil},
			{"flow transitioned", nil},
			{"flow.", nil},
			{".flow", nil},
			{"a..b", nil},
			{"flow.ok", func() {}},
			{"flow.ok", strings.Repeat("x", outbox.MaxPayload)},
		}
		for _, tt := range tests {
			if err := outbox.Add(ctx, db, now, tt.topic, tt.payload); !errors.Is(err, outbox.ErrInvalidEvent) {
				t.Errorf("Add(%q): err %v, want ErrInvalidEvent", tt.topic, err)
			}
		}
		if n := pending(t, db); n != 0 {
			t.Errorf("rejected events stored: pending %d", n)
		}
	})
}

func TestSubscribePanicsOnBadTopic(t *testing.T) {
	d := outbox.NewDispatcher(nil, nil, nil)
	for _, topic := range []string{"", ".*", "a b", "a.**"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Subscribe(%q) did not panic", topic)
				}
			}()
			d.Subscribe(topic, func(context.Context, outbox.Event) error { return nil })
		}()
	}
}

// AddAll writes its events in order, more than one INSERT's worth, and
// delivers them as Add's; one invalid event writes none of them.
func TestAddAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := newClock()
		msgs := make([]outbox.Message, 1203)
		for i := range msgs {
			msgs[i] = outbox.Message{Topic: "warning.raised", Payload: payload{Case: i, Note: "预警"}}
		}
		if err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			return outbox.AddAll(ctx, tx, c.Now(), msgs)
		}); err != nil {
			t.Fatal(err)
		}
		bad := []outbox.Message{{Topic: "warning.raised", Payload: payload{}}, {Topic: "warning.*", Payload: payload{}}}
		err := db.WithTx(ctx, func(ctx context.Context, tx store.Tx) error { return outbox.AddAll(ctx, tx, c.Now(), bad) })
		if !errors.Is(err, outbox.ErrInvalidEvent) {
			t.Errorf("a wildcard topic in the batch: %v", err)
		}
		d := outbox.NewDispatcher(db, nil, c.Now)
		var got []int
		d.Subscribe("warning.raised", func(_ context.Context, e outbox.Event) error {
			var p payload
			if err := e.Decode(&p); err != nil {
				return err
			}
			if p.Note != "预警" || !e.CreatedAt.Equal(c.Now()) {
				return fmt.Errorf("event %d: %+v at %v", e.ID, p, e.CreatedAt)
			}
			got = append(got, p.Case)
			return nil
		})
		for pending(t, db) > 0 {
			if n, err := d.RunOnce(ctx, 500); err != nil || n == 0 {
				t.Fatalf("RunOnce: %d %v", n, err)
			}
		}
		if len(got) != len(msgs) {
			t.Fatalf("delivered %d, want %d", len(got), len(msgs))
		}
		for i, n := range got {
			if n != i {
				t.Fatalf("event %d delivered as the %dth", n, i)
			}
		}
	})
}
