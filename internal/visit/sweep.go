package visit

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// SweepOverdue flags, in one transaction, every completed visit whose
// results were not published within the limit (PublishWorkingDays after
// completion: 双随机 results are published within 20 working days) as
// overdue, with an audit entry each, so the department's list and the
// supervisors' figures show it. It returns how many it flagged; a visit is
// flagged once, so it is safe on any number of nodes.
func (m *Module) SweepOverdue(ctx context.Context) (int, error) {
	var late []int64
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if late, err = m.d.Service.Sweep(ctx, tx); err != nil {
			return err
		}
		for _, id := range late {
			if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorName: auth.SystemName, Action: "visit.publish_overdue",
				ObjectType: ObjectKind, ObjectID: strconv.FormatInt(id, 10),
				Detail: map[string]any{"publish_working_days": m.d.Service.PublishDays()}}); err != nil {
				return fmt.Errorf("visit: sweep %d: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(late), nil
}

// Run sweeps every interval until ctx ends, logging failures and carrying
// on. It returns ctx's error.
func (m *Module) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := m.SweepOverdue(ctx); err != nil && ctx.Err() == nil {
			slog.ErrorContext(ctx, "visit: publication sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
