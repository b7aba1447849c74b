package annualreport

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
)

// DemoContent is a plausible report for the demo.
func DemoContent() Content {
	return Content{Address: "云澜市临江区滨江路88号", Postcode: "990102", Phone: "0871-65550000", Email: "office@example.cn",
		OperatingStatus: "开业",
		Contributions: []Contribution{{Shareholder: "李娜", SubscribedFen: 50000000, SubscribedOn: "2019-05-20", PaidFen: 30000000,
			PaidOn: "2020-01-10", Method: "货币"}},
		Websites: []Website{{Kind: "shop", Name: "云澜味道旗舰店", URL: "https://shop.example.cn/yunlan"}},
		Figures: map[string]int64{"employees": 36, "assets": 320000000, "liabilities": 120000000, "guarantees": 0, "equity": 200000000,
			"revenue": 420000000, "main_revenue": 400000000, "profit": 30000000, "net_profit": 22500000, "tax": 18600050},
		PublicFigures: []string{"employees"}}
}

// SeedDemo files, for the previous report year, the reports of filers as
// they would have been filed in the window (on its tenth day), so that
// the sweep lists the demo's other businesses and the demo enterprise can
// file late and apply for removal.
func SeedDemo(ctx context.Context, m *Module, filers ...string) error {
	year := ReportYear(m.today())
	from, _ := m.d.Rules.Window(year)
	if to := from.AddDays(9); m.today().After(to) {
		back := *m
		back.d.Now = func() time.Time { return to.Start().Add(3 * time.Hour) }
		m = &back
	}
	if err := m.ObserveWindow(ctx, year, from); err != nil {
		return err
	}
	for _, u := range filers {
		if _, err := m.File(ctx, auth.System(), u, year, DemoContent()); err != nil {
			return fmt.Errorf("annualreport: seed %s: %w", u, err)
		}
	}
	return nil
}
