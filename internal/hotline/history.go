package hotline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/i18n"
)

// HistoryLine is one step of an order's history said as a sentence.
type HistoryLine struct {
	At       time.Time
	Actor    string
	Sentence string
}

// extensionStatusName names an extension's state in lang: 待审核, 已批准,
// 已驳回.
func extensionStatusName(st flow.ExtensionStatus, lang string) string {
	if lang == i18n.EN {
		return map[flow.ExtensionStatus]string{flow.ExtensionPending: "Awaiting decision",
			flow.ExtensionGranted: "Granted", flow.ExtensionRefused: "Refused"}[st]
	}
	return map[flow.ExtensionStatus]string{flow.ExtensionPending: "待审核", flow.ExtensionGranted: "已批准",
		flow.ExtensionRefused: "已驳回"}[st]
}

var levelEn = map[string]string{"remind": "a reminder (提醒单)", "supervise": "a supervision order (督办单)",
	"timeboxed": "a time-boxed supervision order (限时督办单)", "handover": "a hand-over letter (移交函)"}

// historyLines says each entry of hs as a sentence in lang: who did what,
// to which state, with what words; no key: value pairs, no internal ids or
// codes. def names the states and actions.
func (m *Module) historyLines(ctx context.Context, def *flow.Definition, hs []flow.HistoryEntry, lang string) []HistoryLine {
	en := lang == i18n.EN
	out := make([]HistoryLine, 0, len(hs))
	state := func(k string) string {
		if def == nil {
			return k
		}
		return def.StateLabel(k, lang)
	}
	date := func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return ""
		}
		return t.In(cst).Format("2006-01-02")
	}
	for _, h := range hs {
		actor := h.ActorName
		if actor == "" || actor == "system" {
			actor = "系统（自动）"
			if en {
				actor = "The system"
			}
		}
		var s string
		comment := strings.TrimSpace(h.Comment)
		switch h.Action {
		case "start":
			s = pick(en, "受理了工单，工单进入"+state(h.To)+"。", "took in the order; it is now "+state(h.To)+".")
			comment = ""
		case "escalate":
			lv := h.Inputs["level"]
			name := comment
			if name == "" {
				name = lv
			}
			s = pick(en, "因办理时限临近或已超期，发出"+name+"。", "issued "+levelEn[lv]+" as the time limit neared or passed.")
			comment = ""
		case actionVisitAttempt:
			// The comment says which attempt it was and why.
			s = pick(en, strings.TrimRight(comment, "。")+"。", "called the citizen back for the return visit without getting through ("+comment+").")
			comment = ""
		case "three_way_110":
			s = pick(en, strings.TrimRight(comment, "。")+"。", "recorded the three-way call with 110 ("+comment+").")
			comment = ""
		case "extension_request":
			d := h.Inputs["days"]
			s = pick(en, "申请延期"+d+"个工作日，待派单员审核。", "asked for "+d+" more working day(s), awaiting the dispatcher's decision.")
			if comment != "" {
				s += pick(en, "理由："+comment+"。", " Reason: "+comment+".")
			}
			comment = ""
		case "extension_decide":
			switch flow.ExtensionStatus(h.Inputs["status"]) {
			case flow.ExtensionGranted:
				d := h.Inputs["granted_days"]
				if due := date(h.Inputs["due_at"]); due != "" {
					s = pick(en, "批准延期"+d+"个工作日，办理期限延至"+due+"。", "granted "+d+" more working day(s); the order is now due on "+due+".")
				} else {
					s = pick(en, "批准延期"+d+"个工作日。", "granted "+d+" more working day(s).")
				}
			default:
				s = pick(en, "驳回延期申请，仍按原期限办理。", "refused the extension; the original deadline stands.")
			}
			if comment != "" {
				s += pick(en, "说明："+comment+"。", " Note: "+comment+".")
			}
			comment = ""
		default:
			verb := h.Action
			if def != nil {
				verb = def.ActionLabel(h.Action, lang)
			}
			switch {
			case h.From != h.To && en:
				s = fmt.Sprintf("%s; the order went from %s to %s.", strings.ToLower(verb), state(h.From), state(h.To))
			case h.From != h.To:
				s = fmt.Sprintf("%s，工单由%s转为%s。", verb, state(h.From), state(h.To))
			case en:
				s = strings.ToLower(verb) + "."
			default:
				s = verb + "。"
			}
			if sat := h.Inputs["satisfaction"]; sat != "" {
				s += pick(en, "回访结果为"+map[string]string{"satisfied": "满意", "basic_satisfied": "基本满意", "dissatisfied": "不满意", "unreachable": "无法联系"}[sat]+"。",
					" The caller was "+strings.ReplaceAll(sat, "_", " ")+".")
			}
		}
		if comment != "" {
			comment = strings.TrimRight(comment, "。.")
			s += pick(en, "说明："+comment+"。", " Note: "+comment+".")
		}
		out = append(out, HistoryLine{At: h.At, Actor: actor, Sentence: actor + pick(en, s, " "+s)})
	}
	return out
}

func pick(en bool, zh, e string) string {
	if en {
		return e
	}
	return zh
}
