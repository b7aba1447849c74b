package visit

import (
	"context"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/store"
)

// Credit is what the visit module needs of the credit module
// (*credit.Module): published results become records of kind inspection
// in the business's credit file, and a business unreachable at its
// registered address goes on the abnormal list (经营异常名录).
type Credit interface {
	RecordOnce(ctx context.Context, a *auth.Actor, in credit.RecordInput) (*credit.Record, bool, error)
	ListAsAbnormal(ctx context.Context, a *auth.Actor, in credit.AbnormalInput) (*credit.Abnormal, error)
}

// DecisionNo is the decision number under which visit id's results are
// recorded in the credit file; a retry finds the record and writes no other.
func DecisionNo(id int64) string { return fmt.Sprintf("JC-%d", id) }

// PublishToCredit publishes visit id (see Publish) and writes its results
// to the credit file through c as the lead department (actor lead, which
// must be granted kind inspection and the abnormal list): one record of
// kind inspection naming every item and its result, and, when an item
// found the business unreachable, a listing for reason unreachable. The
// credit module keeps its own transactions, so this runs on db after the
// visit's results are committed; RecordOnce makes a retry safe.
func (s *Service) PublishToCredit(ctx context.Context, db store.IDB, c Credit, lead *auth.Actor, id int64) error {
	v, err := s.Get(ctx, db, id)
	if err != nil {
		return err
	}
	if v.Status != StatusCompleted && v.Status != StatusOverdue && v.Status != StatusPublished {
		return fmt.Errorf("visit: publish %d: not completed (%s)", id, v.Status)
	}
	var b strings.Builder
	unreachable := false
	for _, it := range v.Items {
		r, _ := resultByCode(it.Result)
		unreachable = unreachable || r.Unreachable
		fmt.Fprintf(&b, "%s：%s；", it.ItemName, r.Name)
	}
	if _, _, err := c.RecordOnce(ctx, lead, credit.RecordInput{USCC: v.USCC, Kind: credit.KindInspection, DecisionNo: DecisionNo(id),
		DecisionDate: v.CompletedOn, Content: b.String()}); err != nil {
		return fmt.Errorf("visit: publish %d: credit record: %w", id, err)
	}
	if v.Status == StatusPublished {
		return nil // published: the record and any listing were written before
	}
	if unreachable {
		if _, err := c.ListAsAbnormal(ctx, lead, credit.AbnormalInput{USCC: v.USCC, Reason: "unreachable",
			ListedOn: s.now().In(calendar.CST).Format(calendar.DateLayout), DecisionNo: DecisionNo(id)}); err != nil {
			return fmt.Errorf("visit: publish %d: abnormal list: %w", id, err)
		}
	}
	return s.Publish(ctx, db, id)
}
