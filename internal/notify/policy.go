package notify

import (
	"context"

	"github.com/yingshang/yingshang/internal/outbox"
)

// TopicPolicyNotice is policy.TopicNotice, spelled out so that notify
// does not depend on the module.
const TopicPolicyNotice = "policy.notice"

// PolicyNotices returns the handler that tells a business's users what
// the policy module says to them (a policy it qualifies for, a decision,
// a payment). The module writes one event per message, so a redelivered
// event writes no second message.
func (s *Service) PolicyNotices() outbox.Handler {
	return s.handler(func(ctx context.Context, e outbox.Event) ([]Message, error) {
		var p struct {
			USCC     string `json:"uscc"`
			Title    string `json:"title"`
			TitleEn  string `json:"title_en"`
			Body     string `json:"body"`
			BodyEn   string `json:"body_en"`
			Link     string `json:"link"`
			ObjectID string `json:"object_id"`
		}
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		return s.toHolder(ctx, 0, p.USCC, Message{Title: p.Title, TitleEn: p.TitleEn, Body: p.Body, BodyEn: p.BodyEn,
			Link: p.Link, ObjectType: "policy", ObjectID: p.ObjectID})
	})
}
