package app

import (
	"context"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
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
		Rules:  a.Config.MonitoringRules, Log: a.Log, Now: a.Config.Now})
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
