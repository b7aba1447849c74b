package notice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/pii"
)

// cst is China Standard Time, in which documents are dated.
var cst = time.FixedZone("CST", 8*3600)

// kindSpec is how a kind of document is titled and numbered, and whether
// it tells the applicant of their remedies.
type kindSpec struct {
	title, prefix string
	// remedies: a refusal must tell the applicant they may apply for
	// 行政复议 or bring 行政诉讼 (第三十八条第二款; a 不予受理 is a refusal
	// of the same kind and tells the same).
	remedies bool
}

// kinds are the documents casework issues.
var kinds = map[casework.NoticeKind]kindSpec{
	casework.NoticeAcceptance:     {title: "受理通知书", prefix: "SL"},
	casework.NoticeNonAcceptance:  {title: "不予受理通知书", prefix: "BSL", remedies: true},
	casework.NoticeCorrection:     {title: "补正材料通知书", prefix: "BZ"},
	casework.NoticeExtension:      {title: "延长审查期限通知书", prefix: "YQ"},
	casework.NoticeExcludedPeriod: {title: "特别程序告知书", prefix: "TB"},
	casework.NoticeSuspension:     {title: "中止审查通知书", prefix: "ZZ"},
	casework.NoticeTermination:    {title: "终止审查通知书", prefix: "ZJ", remedies: true},
	casework.NoticeApproval:       {title: "准予行政许可决定书", prefix: "ZY"},
	casework.NoticeRefusal:        {title: "不予行政许可决定书", prefix: "BY", remedies: true},
}

// Title returns the document title of kind, or "" for an unknown kind.
func Title(kind casework.NoticeKind) string { return kinds[kind].title }

// date writes t as a Chinese document date: 2026年12月4日.
func date(t time.Time) string {
	t = t.In(cst)
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// unitWord names the unit a document counts in.
func unitWord(unit string) string {
	if unit == "days" {
		return "日"
	}
	return "个工作日"
}

// law is how the documents cite 行政许可法.
const law = "《中华人民共和国行政许可法》"

// compose writes the content of the document req asks for. Reasons and
// items are the officer's words: any ID, phone or card number typed into
// them is masked, since the document is shown and printed.
func (m *Module) compose(ctx context.Context, spec kindSpec, req casework.NoticeRequest, at time.Time) Content {
	app := req.App
	code := app.ApplicantIDMasked
	if app.ApplicantKind == casework.Enterprise {
		code = app.ApplicantUSCC
	}
	reason := strings.TrimRight(strings.TrimSpace(pii.MaskText(req.Reason)), "。.")
	items := make([]string, 0, len(req.Items))
	for _, it := range req.Items {
		if it = strings.TrimSpace(pii.MaskText(it)); it != "" {
			items = append(items, it)
		}
	}
	c := Content{Version: contentVersion, Kind: string(req.Kind), Title: spec.title, Applicant: app.ApplicantName,
		ApplicantCode: code, Application: app.Number, Item: app.ItemName,
		Department: m.d.Department(ctx, app.DepartmentID), Items: items, IssuedOn: date(at)}
	if !req.Until.IsZero() {
		c.Until = req.Until.In(cst).Format("2006-01-02")
	}
	opening := fmt.Sprintf("你（单位）于%s提出的%s申请（申请编号：%s），", date(app.SubmittedAt), app.ItemName, app.Number)
	var p, after []string
	switch req.Kind {
	case casework.NoticeAcceptance:
		if req.Deemed {
			p = append(p, opening+"本机关未在五日内作出受理、不予受理或者要求补正的决定。根据"+law+"第三十二条的规定，自收到申请材料之日起即为受理。")
		} else {
			p = append(p, opening+"申请材料齐全、符合法定形式，根据"+law+"第三十二条第一款第（五）项的规定，本机关决定予以受理。")
		}
		if !req.Until.IsZero() {
			p = append(p, fmt.Sprintf("本机关将于%s前作出决定。依法需要听证、检验、检测、鉴定、专家评审等的，所需时间不计入上述期限，届时另行书面告知。", date(req.Until)))
		}
		if len(items) > 0 {
			p = append(p, "你（单位）已书面承诺补交下列容缺材料，请于所列期限前补交；逾期未补交的，本申请按撤回处理：")
		}
	case casework.NoticeNonAcceptance:
		p = append(p, opening+"经审查，"+reason+"。根据"+law+"第三十二条第一款的规定，本机关决定不予受理。")
	case casework.NoticeCorrection:
		basis := "经审查，申请材料不齐全或者不符合法定形式。根据" + law + "第三十二条第一款第（四）项的规定，"
		if req.Review {
			basis = "经审查，需要你（单位）补正申请材料。"
		}
		p = append(p, opening+basis+"现一次性告知你（单位）需要补正的全部内容如下：")
		if reason != "" {
			after = append(after, "说明："+reason+"。")
		}
		after = append(after, "请按上述要求补正后重新提交。补正期间不计入办理时限；补正材料齐全、符合法定形式的，本机关将予以受理或者继续审查。")
	case casework.NoticeExtension:
		p = append(p, opening+"因"+reason+"，本机关不能在规定期限内作出决定。根据"+law+"第四十二条第一款的规定，经本机关负责人批准，"+
			fmt.Sprintf("审查期限延长%d%s，将于%s前作出决定。", req.Days, unitWord(req.Unit), date(req.Until)))
	case casework.NoticeExcludedPeriod:
		p = append(p, opening+"依法需要进行"+reason+"，事由如下：")
		after = append(after, "根据"+law+"第四十五条的规定，"+reason+"所需时间不计入审查期限，"+
			fmt.Sprintf("预计需要%d%s（至%s）。程序结束后，本机关将继续审查。", req.Days, unitWord(req.Unit), date(req.Until)))
	case casework.NoticeSuspension:
		p = append(p, opening+"因"+reason+"，本机关决定中止审查。中止的原因消除后，本机关将恢复审查并告知你（单位）；中止期间不计入审查期限。")
	case casework.NoticeTermination:
		p = append(p, opening+"因"+reason+"，本机关决定终止审查。")
	case casework.NoticeApproval:
		p = append(p, opening+"经审查，"+reason+"。根据"+law+"第三十八条第一款的规定，本机关决定准予行政许可。")
	case casework.NoticeRefusal:
		p = append(p, opening+"经审查，"+reason+"。根据"+law+"第三十八条第二款的规定，本机关决定不予行政许可。")
	}
	c.Paragraphs, c.After = p, after
	if spec.remedies {
		organ := "依法"
		if m.d.Remedies.ReviewOrgan != "" {
			organ = "向" + m.d.Remedies.ReviewOrgan
		}
		c.Remedies = fmt.Sprintf("如不服本决定，可以自收到本通知（决定）之日起%d日内%s申请行政复议，或者自收到之日起%d个月内依法向人民法院提起行政诉讼。",
			m.d.Remedies.ReviewDays, organ, m.d.Remedies.LitigationMonths)
	}
	return c
}
