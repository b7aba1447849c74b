package app

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/annualreport"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/casework"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/hotline"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
)

// buildAnnualReports builds the annual reports over the register and the
// credit module, links enterprise accounts only to registered businesses,
// and subscribes credit to the events of the other modules.
func (a *App) buildAnnualReports() error {
	a.Org.Registered = a.Entities.ExistsIn
	var err error
	a.AnnualReports, err = annualreport.New(annualreport.Deps{DB: a.DB, Box: a.Box, Policy: a.Policy, Audit: a.Audit, Org: a.Org,
		Register: a.Entities, Credit: a.Credit, Now: a.Config.Now})
	if err != nil {
		return err
	}
	c := creditEvents{a: a}
	a.Outbox.Subscribe(annualreport.TopicFiled, c.annualReport)
	a.Outbox.Subscribe(casework.TopicDecided, c.licence)
	a.Outbox.Subscribe(casework.TopicChanged, c.falseCommitment)
	a.Outbox.Subscribe(flow.TopicTransition, c.complaint)
	return nil
}

// subscribeReminders sends the annual-report reminders through notify.
func (a *App) subscribeReminders() {
	a.Outbox.Subscribe(notify.TopicAnnualReportReminder, a.Notify.AnnualReportReminders())
}

// creditEvents turns the modules' events into credit records, written by
// the platform (the system actor) under a decision number derived from
// the source, so a redelivered event finds its record and writes no other
// (credit.Module.RecordOnce).
type creditEvents struct{ a *App }

func (c creditEvents) record(ctx context.Context, in credit.RecordInput) error {
	if !in.Kind.Valid() {
		return nil
	}
	if _, _, err := c.a.Credit.RecordOnce(ctx, auth.System(), in); err != nil {
		return fmt.Errorf("credit event %s %s: %w", in.Kind, in.DecisionNo, err)
	}
	return nil
}

func day(t time.Time) string { return calendar.DateOf(t).String() }

// annualReport: a filed report is a credit record of kind annual_report.
func (c creditEvents) annualReport(ctx context.Context, e outbox.Event) error {
	var p struct {
		USCC    string `json:"uscc"`
		Year    int    `json:"year"`
		FiledOn string `json:"filed_on"`
		Late    bool   `json:"late"`
	}
	if err := e.Decode(&p); err != nil {
		return err
	}
	content := fmt.Sprintf("%d年度报告已报送", p.Year)
	if p.Late {
		content = fmt.Sprintf("%d年度报告逾期补报", p.Year)
	}
	return c.record(ctx, credit.RecordInput{USCC: p.USCC, Kind: credit.KindAnnualReport,
		DecisionNo: fmt.Sprintf("年报%d-%s", p.Year, p.USCC), DecisionDate: p.FiledOn,
		LegalBasis: "企业信息公示暂行条例 第八条", Content: content})
}

type caseEvent struct {
	ID     int64  `json:"id"`
	Action string `json:"action"`
}

// licence: an approval of an enterprise's application is a 行政许可 record.
func (c creditEvents) licence(ctx context.Context, e outbox.Event) error {
	var p caseEvent
	if err := e.Decode(&p); err != nil {
		return err
	}
	if p.Action != "approve" {
		return nil
	}
	app, err := c.a.Casework.Get(ctx, auth.System(), p.ID)
	if err != nil {
		return err
	}
	if app.ApplicantKind != casework.Enterprise || app.ApplicantUSCC == "" || app.Decision != "approve" {
		return nil
	}
	return c.record(ctx, credit.RecordInput{USCC: app.ApplicantUSCC, Kind: credit.KindLicense,
		DecisionNo: "许可-" + app.Number, DecisionDate: day(app.DecidedAt),
		Content: pii.MaskText(fmt.Sprintf("准予：%s（办件 %s）", app.ItemName, app.Number))})
}

// falseCommitment: a commitment check that found the promise false is a
// 虚假承诺 record.
func (c creditEvents) falseCommitment(ctx context.Context, e outbox.Event) error {
	var p caseEvent
	if err := e.Decode(&p); err != nil {
		return err
	}
	if p.Action != "verify_false" {
		return nil
	}
	app, err := c.a.Casework.Get(ctx, auth.System(), p.ID)
	if err != nil {
		return err
	}
	if app.ApplicantKind != casework.Enterprise || app.ApplicantUSCC == "" {
		return nil
	}
	return c.record(ctx, credit.RecordInput{USCC: app.ApplicantUSCC, Kind: credit.KindFalseCommitment,
		DecisionNo: "承诺不实-" + app.Number, DecisionDate: day(app.VerifiedAt),
		Content: pii.MaskText(fmt.Sprintf("告知承诺经核查不实，撤销许可决定：%s（办件 %s）", app.ItemName, app.Number))})
}

// complaint: a complaint or report about a business (the order carries its
// code), once closed, is a 投诉举报 record (not public under the rules).
func (c creditEvents) complaint(ctx context.Context, e outbox.Event) error {
	var p struct {
		SubjectType string `json:"subject_type"`
		SubjectID   int64  `json:"subject_id"`
		To          string `json:"to"`
	}
	if err := e.Decode(&p); err != nil {
		return err
	}
	if p.SubjectType != hotline.Kind || p.To != "closed" {
		return nil
	}
	o, err := c.a.Hotline.Get(ctx, auth.System(), p.SubjectID)
	if err != nil {
		return err
	}
	if o.USCC == "" || (o.Type != hotline.TypeComplaint && o.Type != hotline.TypeReport) {
		return nil
	}
	closed := o.ClosedAt
	if closed.IsZero() {
		closed = e.CreatedAt
	}
	return c.record(ctx, credit.RecordInput{USCC: o.USCC, Kind: credit.KindComplaint, DecisionNo: "12345-" + o.Number,
		DecisionDate: day(closed), Content: pii.MaskText(fmt.Sprintf("12345 %s：%s（工单 %s）", o.Type.Name(), o.Title, o.Number))})
}

// sweepAnnualReports runs the annual-report sweep every interval on the
// calendar date of the day: reminders before the deadline, the listing of
// non-filers on the day after it. Safe on every node.
func (a *App) sweepAnnualReports(ctx context.Context) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		res, err := a.AnnualReports.Sweep(ctx, calendar.DateOf(a.Config.Now()), func(r annualreport.SweepResult) {
			if r.Listed > 0 || r.Reminded > 0 {
				a.Log.Info("annual reports", "year", r.Year, "reminded", r.Reminded, "listed", r.Listed)
			}
		})
		if err != nil {
			a.Log.Warn("annual report sweep", "year", res.Year, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// departmentCode names a department by its code, for the register's fact
// sources.
func (a *App) departmentCode(ctx context.Context, id int64) (string, error) {
	d, err := a.Org.Department(ctx, id)
	if err != nil {
		return "", err
	}
	return d.Code, nil
}
