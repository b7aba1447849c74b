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
