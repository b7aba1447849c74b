package notify

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/outbox"
)

// TopicVisitNotice is the visit module's topic (visit.TopicNotice): a new
// visit to a business, told once per visit however many items it merges.
const TopicVisitNotice = "visit.notice"

// visitNotice tells a business that an inspection visit is planned.
func (s *Service) visitNotice(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		VisitID int64  `json:"visit_id"`
		USCC    string `json:"uscc"`
		From    string `json:"window_from"`
		To      string `json:"window_to"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	m := Message{Link: "/credit/my", ObjectType: "visit", ObjectID: itoa(p.VisitID),
		Title: "监管检查通知", TitleEn: "Inspection visit notice",
		Body:   fmt.Sprintf("监管部门将于%s至%s期间对贵单位进行一次检查（进一次门、查多项事），请配合。", p.From, p.To),
		BodyEn: fmt.Sprintf("The authorities will visit your business once, between %s and %s, to check all items at one time; please cooperate.", p.From, p.To)}
	return s.toHolder(ctx, 0, p.USCC, m)
}
