package app

import (
	"context"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/notify"
)

// buildNotify builds the notifications and subscribes them to the outbox:
// hotline callers, enterprises, applicants, certificate holders, departments
// and supervisors are told what the modules' events concern them.
func (a *App) buildNotify() error {
	var sender notify.Sender = notify.LogSender{Log: a.Log, Box: a.Box}
	if a.Config.SMSURL != "" {
		sender = &notify.HTTPSender{URL: a.Config.SMSURL, Secret: []byte(a.Config.SMSSecret), Box: a.Box}
	}
	hot := notify.HotlineFuncs{
		Caller: func(ctx context.Context, id int64) (notify.Caller, error) {
			c, err := a.Hotline.Caller(ctx, id)
			return notify.Caller{UserID: c.UserID, Number: c.Number, RegionCode: c.RegionCode,
				PhoneSealed: c.PhoneSealed, PhoneIndex: c.PhoneIndex, Track: c.Track}, err
		},
		Visit: a.Hotline.VisitLink,
	}
	holders := notify.HolderFunc(func(ctx context.Context, id int64) (notify.Holder, error) {
		c, err := a.Certs.Get(ctx, id, auth.System())
		if err != nil {
			return notify.Holder{}, err
		}
		return notify.Holder{UserID: c.HolderUserID, USCC: c.HolderUSCC, Number: c.Number}, nil
	})
	var err error
	a.Notify, err = notify.New(notify.Deps{DB: a.DB, Org: a.Org, Sender: sender, Hotline: hot, Flow: a.Flow,
		Certificates: holders, Log: a.Log, Now: a.Config.Now})
	if err != nil {
		return err
	}
	a.Notify.Register(a.Outbox)
	return nil
}
