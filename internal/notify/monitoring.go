package notify

import (
	"context"
	"strconv"

	"github.com/yingshang/yingshang/internal/outbox"
)

// TopicMonitoringRemind is monitoring.TopicRemind, spelled out so that
// notify does not depend on the module.
const TopicMonitoringRemind = "monitoring.remind"

// MonitoringReminders returns the handler that gives a business's users
// the risk prompt of a monitoring alert at the 提醒 grade (one event per
// prompt, so a redelivered event writes no second message).
func (s *Service) MonitoringReminders() outbox.Handler {
	return s.handler(func(ctx context.Context, e outbox.Event) ([]Message, error) {
		var p struct {
			USCC    string `json:"uscc"`
			AlertID int64  `json:"alert_id"`
			Title   string `json:"title"`
			TitleEn string `json:"title_en"`
			Body    string `json:"body"`
			BodyEn  string `json:"body_en"`
			Link    string `json:"link"`
		}
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		return s.toHolder(ctx, 0, p.USCC, Message{Title: p.Title, TitleEn: p.TitleEn, Body: p.Body, BodyEn: p.BodyEn,
			Link: p.Link, ObjectType: "monitoring_alert", ObjectID: strconv.FormatInt(p.AlertID, 10)})
	})
}
