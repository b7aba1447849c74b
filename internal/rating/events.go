package rating

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/outbox"
)

// Topics whose events end a service event and so invite a rating. They are
// spelled out rather than imported so the module does not depend on
// casework, hotline or flow; a test in internal/app keeps them equal.
const (
	// TopicCaseDecided is casework.TopicDecided: an application decided.
	TopicCaseDecided = "casework.decided"
	// TopicTransition is flow.TopicTransition: the hotline closes an order
	// (办结) by moving its workflow instance to "closed".
	TopicTransition = "flow.transition"
)

// hotlineSubjectType is the workflow subject type of hotline orders
// (hotline.Kind).
const hotlineSubjectType = "hotline_order"

// HandleEvent is the outbox consumer of TopicCaseDecided and
// TopicTransition: it sends the SMS rating link of the decided application
// or closed order (SendLink skips subjects already rated or without a
// phone). A redelivered event sends the same link under the same event id,
// which the notifier sends once.
func (s *Service) HandleEvent(ctx context.Context, e outbox.Event) error {
	var p struct {
		ID          int64  `json:"id"`
		SubjectType string `json:"subject_type"`
		SubjectID   int64  `json:"subject_id"`
		To          string `json:"to"`
	}
	if err := e.Decode(&p); err != nil {
		return fmt.Errorf("rating: event %d: %w", e.ID, err)
	}
	var subj Subject
	switch e.Topic {
	case TopicCaseDecided:
		subj = Subject{Kind: KindCase, ID: p.ID, Event: "decided"}
	case TopicTransition:
		if p.SubjectType != hotlineSubjectType || p.To != "closed" {
			return nil
		}
		subj = Subject{Kind: KindHotline, ID: p.SubjectID, Event: "closed"}
	default:
		return nil
	}
	if subj.ID <= 0 {
		return fmt.Errorf("rating: event %d: no subject id: %w", e.ID, ErrInvalid)
	}
	return s.SendLink(ctx, e.ID, subj)
}
