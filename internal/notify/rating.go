package notify

import (
	"context"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/outbox"
)

// TopicRatingLink is rating.TopicLink, spelled out so that notify does not
// depend on the module: an SMS 好差评 link to send.
const TopicRatingLink = "rating.link"

// RatingLinks returns the handler that sends a person the SMS link rating
// a decided application or a closed hotline order (国办发〔2019〕51号). The
// link is a bearer credential: it is kept in the message, which only the
// Sender reads, and never logged (LogSender logs ids and the masked phone).
func (s *Service) RatingLinks() outbox.Handler {
	return s.handler(func(ctx context.Context, e outbox.Event) ([]Message, error) {
		var p struct {
			Kind        string `json:"subject_kind"`
			ID          int64  `json:"subject_id"`
			Reference   string `json:"reference"`
			PhoneSealed string `json:"phone_sealed"`
			PhoneIndex  string `json:"phone_index"`
			Link        string `json:"link"`
		}
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		if p.PhoneSealed == "" || p.PhoneIndex == "" || p.Link == "" {
			return nil, nil
		}
		what, whatEn, typ := "申请", "application", "casework_application"
		if p.Kind == "hotline" {
			what, whatEn, typ = "诉求", "request", hotlineKind
		}
		return []Message{{PhoneIndex: p.PhoneIndex, PhoneSealed: p.PhoneSealed, Channel: SMS,
			Title: "请对政务服务作出评价", TitleEn: "Please rate the service",
			Body:   fmt.Sprintf("您的%s（%s）已办结，请对本次政务服务作出评价（好差评）：%s", what, p.Reference, p.Link),
			BodyEn: fmt.Sprintf("Your %s %s is finished. Please rate the service: %s", whatEn, p.Reference, p.Link),
			Link:   p.Link, ObjectType: typ, ObjectID: strconv.FormatInt(p.ID, 10)}}, nil
	})
}

// TopicRatingAnswered is rating.TopicAnswered: a department answered the
// follow-up of a person's bad rating.
const TopicRatingAnswered = "rating.answered"

// RatingAnswers returns the handler that tells the person who gave a bad
// rating, in the platform, that the department has verified, rectified
// and answered (核实、整改、反馈), linking to where they read it.
func (s *Service) RatingAnswers() outbox.Handler {
	return s.handler(func(ctx context.Context, e outbox.Event) ([]Message, error) {
		var p struct {
			FollowUpID int64 `json:"follow_up_id"`
			PersonID   int64 `json:"person_id"`
		}
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		if p.PersonID == 0 {
			return nil, nil
		}
		return []Message{{UserID: p.PersonID, Channel: InApp, Title: "您的评价已有答复", TitleEn: "Your rating has been answered",
			Body:   "您对政务服务的评价已由承办部门核实整改并答复，请查看。",
			BodyEn: "The department has verified your rating, acted on it and answered.",
			Link:   "/ratings/mine", ObjectType: "rating_followup", ObjectID: strconv.FormatInt(p.FollowUpID, 10)}}, nil
	})
}
