package notify

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/outbox"
)

// The credit module's topics that concern a business (credit.Topic…).
const (
	TopicCreditRepairable = "credit.repairable"
	TopicCreditDecided    = "credit.repair_decided"
)

// creditRepair tells a business that one of its records may now be
// repaired (信用修复, once per record) or what was decided on its
// application.
func (s *Service) creditRepair(ctx context.Context, e outbox.Event) ([]Message, error) {
	var p struct {
		ID         int64  `json:"id"`
		RecordID   int64  `json:"record_id"`
		USCC       string `json:"uscc"`
		DecisionNo string `json:"decision_no"`
		From       string `json:"repairable_from"`
		Status     string `json:"status"`
		Reason     string `json:"reason"`
	}
	if err := e.Decode(&p); err != nil {
		return nil, err
	}
	m := Message{Link: "/credit/my", ObjectType: "credit_record", ObjectID: itoa(p.ID),
		Title: "可申请信用修复", TitleEn: "Credit repair available",
		Body:   fmt.Sprintf("您的行政处罚信息（%s）已满最短公示期，自%s起可申请信用修复。", p.DecisionNo, p.From),
		BodyEn: fmt.Sprintf("Your penalty record %s has been published for the minimum period; you may apply for credit repair from %s.", p.DecisionNo, p.From)}
	if e.Topic == TopicCreditDecided {
		m.Link, m.ObjectType = "/credit/repairs/"+itoa(p.ID), "credit_repair"
		if p.Status == "granted" {
			m.Title, m.TitleEn = "信用修复已准予", "Credit repair granted"
			m.Body = "您的信用修复申请已准予，相关信息自决定之日起停止公示。理由：" + p.Reason
			m.BodyEn = "Your application for credit repair was granted; the record is no longer published from the day of the decision. Reasons: " + p.Reason
		} else {
			m.Title, m.TitleEn = "信用修复不予准予", "Credit repair refused"
			m.Body = "您的信用修复申请不予准予。理由：" + p.Reason
			m.BodyEn = "Your application for credit repair was refused. Reasons: " + p.Reason
		}
	}
	return s.toHolder(ctx, 0, p.USCC, m)
}
