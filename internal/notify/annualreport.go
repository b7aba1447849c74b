package notify

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/outbox"
)

// TopicAnnualReportReminder is annualreport.TopicReminder, spelled out so
// that notify does not depend on the module.
const TopicAnnualReportReminder = "annualreport.reminder"

// AnnualReportReminders returns the handler that tells a business's users
// to file the year's annual report before the deadline. The annual-report
// module writes one event per business and year, so each is reminded once;
// a redelivered event writes no second message.
func (s *Service) AnnualReportReminders() outbox.Handler {
	return s.handler(func(ctx context.Context, e outbox.Event) ([]Message, error) {
		var p struct {
			USCC     string `json:"uscc"`
			Name     string `json:"name"`
			Year     int    `json:"year"`
			Deadline string `json:"deadline"`
		}
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		users, err := s.enterpriseUsers(ctx, p.USCC)
		if err != nil {
			return nil, err
		}
		var out []Message
		for _, u := range users {
			out = append(out, Message{UserID: u.ID, Channel: InApp,
				Title: fmt.Sprintf("请于%s前报送%d年度报告", p.Deadline, p.Year), TitleEn: fmt.Sprintf("File your %d annual report by %s", p.Year, p.Deadline),
				Body: fmt.Sprintf("%s：根据《企业信息公示暂行条例》，请于%s前报送%d年度报告；逾期未报送的，将被列入经营异常名录。", p.Name, p.Deadline, p.Year),
				BodyEn: fmt.Sprintf("%s: under the Interim Regulations on Enterprise Information Disclosure, file your %d annual report by %s; "+
					"a business that does not is listed as abnormal.", p.Name, p.Year, p.Deadline),
				Link: "/annual-reports/mine", ObjectType: "annual_report", ObjectID: fmt.Sprintf("%s/%d", p.USCC, p.Year)})
		}
		return out, nil
	})
}
