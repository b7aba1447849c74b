package flow_test

import (
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

// The 三单一函 ladder fires on the minute its rule names, never before: a
// handling limit of 5 working days dispatched on Wednesday 2026-09-30
// (calendar-cn.md's example) ends at the close of Tuesday 2026-10-13, so
// the 督办单 is not issued at 23:30 that day and is issued just after
// midnight; the 提醒单 (80% = 4 whole working days) comes after the close
// of Monday 10-12 and not at 23:59 of it; 限时督办 (2 working days
// overdue) after the close of Thursday 10-15.
func TestLadderFiresOnItsMinute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		in := e.start("test.hotline")
		e.mustDo(in.ID, "dispatch", dispatcher, nil, "")
		steps := []struct {
			at    time.Time
			level flow.Level
		}{
			{cst(2026, 10, 12, 23, 59), flow.LevelNone},
			{cst(2026, 10, 13, 0, 0).Add(time.Second), flow.LevelRemind},
			{cst(2026, 10, 13, 23, 30), flow.LevelRemind}, // half an hour before the limit: no 督办单 yet
			{cst(2026, 10, 13, 23, 59), flow.LevelRemind},
			{cst(2026, 10, 14, 0, 0).Add(time.Second), flow.LevelSupervise},
			{cst(2026, 10, 15, 23, 59), flow.LevelSupervise},
			{cst(2026, 10, 16, 0, 0).Add(time.Second), flow.LevelTimeboxed},
		}
		for _, s := range steps {
			e.clk.Set(s.at)
			e.fire()
			got, _ := e.eng.Instance(e.ctx, in.ID)
			if got.Escalation != s.level {
				t.Errorf("at %s level %v, want %v", s.at.Format("01-02 15:04:05"), got.Escalation, s.level)
			}
		}
		// The limit itself is the close of 10-13, to the microsecond kept.
		got, _ := e.eng.Instance(e.ctx, in.ID)
		if want := endOf(2026, 10, 13); !got.StateDueAt.Equal(want) {
			t.Errorf("state due %v, want %v", got.StateDueAt, want)
		}
	})
}
