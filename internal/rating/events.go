package rating

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/outbox"
)

// Topics whose events end a service event and so invite a rating. They are
// spelled out rather than imported so the module does not depend on
// casework or hotline.
const (
	TopicCaseDecided = "casework.decided"
	// TopicHotlineClose is not yet written by internal/hotline (its Close
	// adds no outbox event); the consumer is ready for it.
	TopicHotlineClose = "hotline.closed"
)

// HandleEvent is the outbox consumer of TopicCaseDecided and
// TopicHotlineClose: it sends the SMS rating link of the decided case or
// closed order (SendLink skips subjects already rated or without a phone).
// A repeated delivery issues a second link for an unrated subject, which
// is harmless: whichever link is used first rates, the other is refused.
func (s *Service) HandleEvent(ctx context.Context, e outbox.Event) error {
	var p struct {
		ID int64 `json:"id"`
	}
	if err := e.Decode(&p); err != nil {
		return fmt.Errorf("rating: event %d: %w", e.ID, err)
	}
	subj := Subject{ID: p.ID}
	switch e.Topic {
	case TopicCaseDecided:
		subj.Kind, subj.Event = KindCase, "decided"
	case TopicHotlineClose:
		subj.Kind, subj.Event = KindHotline, "closed"
	default:
		return nil
	}
	if p.ID <= 0 {
		return fmt.Errorf("rating: event %d: no subject id: %w", e.ID, ErrInvalid)
	}
	return s.SendLink(ctx, subj)
}
