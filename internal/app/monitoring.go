package app

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/monitoring"
	"github.com/yingshang/yingshang/internal/notify"
	"github.com/yingshang/yingshang/internal/visit"
)

// buildMonitoring builds 智能监测 over the register (a device's business),
// notify (提醒 as a risk prompt to the business) and the visit module (a
// 检查 becomes a visit assignment).
func (a *App) buildMonitoring() error {
	var err error
	a.Monitoring, err = monitoring.New(monitoring.Deps{DB: a.DB, Policy: a.Policy, Audit: a.Audit, Org: a.Org,
		Business: func(ctx context.Context, uscc string) (string, string, error) {
			e, err := a.Entities.Get(ctx, auth.System(), uscc)
			if err != nil {
				return "", "", err
			}
			return e.Name, e.RegionCode, nil
		},
		Assign: visit.NewService(a.Calendar.Current, visit.Config{}, a.Config.Now).Assign,
		Rules:  a.Config.MonitoringRules, Calendar: a.Calendar.Current, Log: a.Log, Now: a.Config.Now})
	if err != nil {
		return err
	}
	a.Outbox.Subscribe(notify.TopicMonitoringRemind, a.Notify.MonitoringReminders())
	return nil
}

// sweepMonitoring raises offline alerts for silent devices every five minutes.
func (a *App) sweepMonitoring(ctx context.Context) error {
	return a.Monitoring.Run(ctx, 5*time.Minute)
}

// seedDemoMonitoring registers the demo's fuel station and seeds its
// devices, readings and alerts (one of each grade), entered by the market
// regulator's handler.
func (a *App) seedDemoMonitoring(ctx context.Context, depts, users map[string]int64, restaurant string, now time.Time) error {
	station := monitoring.DemoFuelStation()
	if _, _, err := a.Entities.Put(ctx, auth.System(), entity.Input{USCC: station, Name: "云澜北环加油站有限公司", Type: "有限责任公司",
		LegalRep: "高峰", Address: "云澜市临江区北环路166号", RegionCode: "990102", Industry: "F5265", CapitalYuan: 3000000,
		EstablishedOn: "2015-07-01", Status: "存续", Scope: "成品油零售；润滑油销售"}); err != nil {
		return fmt.Errorf("demo: fuel station: %w", err)
	}
	handler := &auth.Actor{UserID: users["handler_scj"], Name: "承办 市场监管", Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990102",
		DepartmentIDs: []int64{depts["LJ-SCJG"]}}
	return monitoring.SeedDemo(ctx, a.Monitoring, handler, station, restaurant, now)
}
