package notify

import (
	"context"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/outbox"
)

// TopicWarningRaised is warning.TopicRaised, spelled out so that notify
// does not depend on the module.
const TopicWarningRaised = "warning.raised"

// WarningRaised returns the handler that tells a department that an early
// warning (预警) waits in its inbox, with its limit, and, where the rule
// gives the business a risk prompt (风险提示), the business's users.
func (s *Service) WarningRaised() outbox.Handler {
	return s.handler(func(ctx context.Context, e outbox.Event) ([]Message, error) {
		var p struct {
			ID           int64  `json:"id"`
			RuleName     string `json:"rule_name"`
			RuleNameEn   string `json:"rule_name_en"`
			USCC         string `json:"uscc"`
			DepartmentID int64  `json:"department_id"`
			Prompt       bool   `json:"prompt"`
			Detail       string `json:"detail"`
			DueOn        string `json:"due_on"`
		}
		if err := e.Decode(&p); err != nil {
			return nil, err
		}
		zh, en := p.Detail, p.Detail
		if i := strings.LastIndex(p.Detail, " ("); i > 0 && strings.HasSuffix(p.Detail, ")") {
			zh, en = p.Detail[:i], p.Detail[i+2:len(p.Detail)-1]
		}
		var out []Message
		if p.DepartmentID != 0 {
			out = append(out, Message{DepartmentID: p.DepartmentID, Channel: InApp,
				Title: "新预警：" + p.RuleName, TitleEn: "New warning: " + p.RuleNameEn,
				Body:   fmt.Sprintf("统一社会信用代码%s：%s。请于%s前核实并确认或排除。", p.USCC, zh, p.DueOn),
				BodyEn: fmt.Sprintf("USCC %s: %s. Verify it and confirm or exclude it by %s.", p.USCC, en, p.DueOn),
				Link:   "/warnings/" + itoa(p.ID), ObjectType: "warning", ObjectID: itoa(p.ID)})
		}
		if p.Prompt {
			biz, err := s.toHolder(ctx, 0, p.USCC, Message{
				Title: "风险提示：" + p.RuleName, TitleEn: "Risk prompt: " + p.RuleNameEn,
				Body:   fmt.Sprintf("%s。请及时处理，避免影响企业信用。", zh),
				BodyEn: fmt.Sprintf("%s. Please deal with it so that your credit is not affected.", en),
				Link:   "/warnings/my", ObjectType: "warning", ObjectID: itoa(p.ID)})
			if err != nil {
				return nil, err
			}
			out = append(out, biz...)
		}
		return out, nil
	})
}
