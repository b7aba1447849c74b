package casework

import (
	"context"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
)

// ExtensionDecided is told, in the transaction of the decision, that an
// extension of a case was granted or refused. For a granted extension of
// an application it issues the 延长审查期限通知书: 行政许可法 第四十二条
// requires the applicant to be told the reason, and the notice says how
// many working days were added and the new date of the decision. The
// inbox calls it for the subjects the module owns.
func (m *Module) ExtensionDecided(ctx context.Context, tx store.IDB, in *flow.Instance, x *flow.Extension, a *auth.Actor) error {
	if in.SubjectType != SubjectType || x.Status != flow.ExtensionGranted {
		return nil
	}
	app, err := m.load(ctx, tx, in.SubjectID)
	if err != nil {
		return fmt.Errorf("casework: extension of %d: %w", in.SubjectID, err)
	}
	now, err := m.d.Flow.InstanceFor(ctx, tx, SubjectType, app.ID)
	if err != nil {
		return fmt.Errorf("casework: extension of %s: %w", app.Number, err)
	}
	_, err = m.issueNotice(ctx, tx, NoticeRequest{Kind: NoticeExtension, App: app, Reason: x.Reason,
		Days: x.GrantedDays, Unit: "working_days", Until: now.DueAt, ActorID: actorID(a), ActorName: actorName(a)})
	return err
}
