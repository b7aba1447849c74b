package casework

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
)

// ExcludedProcedures are the procedures whose time 行政许可法 第四十五条
// leaves out of the limits: hearings, tenders, auctions, inspection,
// testing, quarantine, appraisal and expert review.
var ExcludedProcedures = []string{"听证", "招标", "拍卖", "检验", "检测", "检疫", "鉴定", "专家评审"}

// maxProcedureDays bounds the time an excluded procedure may be announced
// for (a year), so a typing slip cannot park a case for decades.
const maxProcedureDays = 365

// StartSpecial starts an excluded procedure (第四十五条) on an application
// under review: the clock stops until EndSpecial, and the applicant is told
// in writing which procedure it is and how long it takes (days, 日). The
// reason says what the procedure is for.
func (m *Module) StartSpecial(ctx context.Context, a *auth.Actor, id int64, procedure string, days int, reason string) (*Application, error) {
	procedure, reason = strings.TrimSpace(procedure), strings.TrimSpace(reason)
	var p problems
	if !slices.Contains(ExcludedProcedures, procedure) {
		p.Add("procedure", "须为第四十五条所列程序：%s (one of the procedures of article 45)", strings.Join(ExcludedProcedures, "、"))
	}
	if days < 1 || days > maxProcedureDays {
		p.Add("days", "所需时间须为1至%d日 (1 to %d days)", maxProcedureDays, maxProcedureDays)
	}
	if reason == "" || utf8.RuneCountInString(reason) > 2000 {
		p.Add("reason", "须写明需要该程序的理由，不超过2000字 (the reason is required)")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: "start_special", comment: reason,
		inputs: map[string]string{"procedure": procedure, "days": strconv.Itoa(days)}})
}

// EndSpecial records the end of the excluded procedure; the review goes
// on with its deadlines moved by the working days it took.
func (m *Module) EndSpecial(ctx context.Context, a *auth.Actor, id int64, comment string) (*Application, error) {
	return m.run(ctx, a, id, step{action: "end_special", comment: strings.TrimSpace(comment)})
}

// Suspend stops the review (中止审查) on the grounds given, such as a
// pending court case or the applicant's death awaiting the heirs; the
// clock stops and the applicant is told.
func (m *Module) Suspend(ctx context.Context, a *auth.Actor, id int64, grounds string) (*Application, error) {
	grounds, err := groundsOf(grounds)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: "suspend", comment: grounds})
}

// Resume takes a suspended review up again once its grounds are gone.
func (m *Module) Resume(ctx context.Context, a *auth.Actor, id int64, comment string) (*Application, error) {
	comment, err := groundsOf(comment)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: "resume", comment: comment})
}

// Terminate ends the review without a decision on the merits (终止审查) on
// the grounds given, such as the applicant's dissolution; the applicant is
// told, with the remedies.
func (m *Module) Terminate(ctx context.Context, a *auth.Actor, id int64, grounds string) (*Application, error) {
	grounds, err := groundsOf(grounds)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: "terminate", comment: grounds,
		change: func(_ context.Context, _ store.Tx, app *Application, _ *flow.Instance) error {
			app.DecisionReason, app.DecidedAt = grounds, m.now()
			app.DecidedBy, app.DecidedByName = actorID(a), actorName(a)
			return nil
		}})
}

// groundsOf checks the grounds of a step that needs them.
func groundsOf(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > 2000 {
		return "", &FieldError{Path: "reason", Message: fmt.Sprintf("须写明事由和依据，不超过%d字 (the grounds are required)", 2000)}
	}
	return s, nil
}
