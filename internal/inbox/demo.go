package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
)

// SeedDemo issues, as the demo city's supervisor (user supervisorID, named
// name, of region), one supervision order (督办单) on the most overdue
// running case of the region and one reminder (催办) on the next, so that a
// person can follow an order from /supervision to the department's inbox
// and answer it. Without an overdue case it does nothing.
func (m *Module) SeedDemo(ctx context.Context, supervisorID int64, name, region string) error {
	a := &auth.Actor{UserID: supervisorID, Name: name, Roles: []auth.Role{auth.RoleSupervisor}, RegionCode: region}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT w.instance_id FROM flow_instance_waits w
		JOIN flow_instances i ON i.id = w.instance_id
		WHERE w.kind = 'watch' AND w.role = '' AND w.ref = ? AND w.due_at < ? AND i.department_ids <> ''
		ORDER BY w.due_at, w.instance_id LIMIT 2`, region[:4], m.d.Now())
	if err != nil {
		return fmt.Errorf("inbox: demo: %w", err)
	}
	var cases []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("inbox: demo: %w", err)
		}
		cases = append(cases, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("inbox: demo: %w", err)
	}
	steps := []NewRecord{
		{Kind: KindOrder, AnswerDays: 3, Body: "该诉求已超过办理时限，请核实未办结原因，落实整改措施，并在期限内书面反馈办理情况。"},
		{Kind: KindUrge, Body: "该件即将或已经超期，请抓紧办理，按时答复市民。"},
	}
	for i, id := range cases {
		if _, err := m.Supervise(ctx, a, id, steps[i]); err != nil {
			return fmt.Errorf("inbox: demo: case %d: %w", id, err)
		}
	}
	return nil
}
