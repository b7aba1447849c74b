package notify_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/rating"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// A 好差评 link event becomes one text message to the sealed phone, also
// when the event is delivered again, and the link stays out of the log.
func TestRatingLinkSentOnce(t *testing.T) {
	if notify.TopicRatingLink != rating.TopicLink {
		t.Fatalf("notify uses %q, rating writes %q", notify.TopicRatingLink, rating.TopicLink)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var logged bytes.Buffer
		box, err := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		w := setupWith(t, db, notify.LogSender{Log: slog.New(slog.NewJSONHandler(&logged, nil)), Box: box})
		ctx := context.Background()
		link := "https://zwfw.example.gov.cn/ratings/t/SECRETTOKEN"
		e := event(77, notify.TopicRatingLink, rating.LinkEvent{SubjectKind: rating.KindCase, SubjectID: 9, Event: "decided",
			Reference: "YS2026000009", PhoneSealed: box.Seal(phone), PhoneIndex: box.Index(phone), Link: link})
		h := w.svc.RatingLinks()
		for range 2 {
			if err := h(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := w.svc.Messages(ctx, 77)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].Channel != notify.SMS || !strings.Contains(notify.SMSText(msgs[0]), link) ||
			!strings.Contains(msgs[0].Body, "YS2026000009") || msgs[0].DeliveredAt.IsZero() {
			t.Fatalf("messages = %+v, want one sent SMS with the link", msgs)
		}
		if out := logged.String(); strings.Contains(out, "SECRETTOKEN") || strings.Contains(out, phone) {
			t.Fatalf("the log holds the link or the phone: %s", out)
		}
	})
}

// The answer to a bad rating's follow-up reaches the person who rated, in
// the platform, once, linking to where they read it.
func TestRatingAnswerTellsThePerson(t *testing.T) {
	if notify.TopicRatingAnswered != rating.TopicAnswered {
		t.Fatalf("notify uses %q, rating writes %q", notify.TopicRatingAnswered, rating.TopicAnswered)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		box, err := pii.New([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		w := setupWith(t, db, notify.LogSender{Log: slog.New(slog.DiscardHandler), Box: box})
		ctx := context.Background()
		e := event(78, notify.TopicRatingAnswered, rating.AnsweredEvent{FollowUpID: 3, PersonID: 42})
		h := w.svc.RatingAnswers()
		for range 2 {
			if err := h(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		msgs, err := w.svc.Messages(ctx, 78)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 1 || msgs[0].UserID != 42 || msgs[0].Channel != notify.InApp || msgs[0].Link != "/ratings/mine" {
			t.Fatalf("messages = %+v, want one in-app message to user 42", msgs)
		}
	})
}
