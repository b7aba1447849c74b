package monitoring

import (
	"context"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
)

// DemoFuelStation is the USCC of the demo's fuel station (加油站).
func DemoFuelStation() string {
	body := "91990102MA0008801"
	return body + string(ids.USCCCheck(body))
}

// SeedDemo registers, as the department's staff member a, a tank level
// gauge and a dispenser monitor at the fuel station and a cold-chain
// thermometer at the restaurant, and posts through the ingest path the
// readings of the last hours: the tank falls faster than fuel is
// dispensed (约谈, escalated to 检查 with a visit), the dispenser's error
// leaves ±0.3% (约谈) and then it falls silent (提醒 at the sweep), the
// cold store warmed once (提醒 to the restaurant).
func SeedDemo(ctx context.Context, m *Module, a *auth.Actor, station, restaurant string, now time.Time) error {
	dev := func(uscc, kind, loc, unit string) (RegisteredDevice, string, error) {
		d, tok, err := m.RegisterDevice(ctx, a, 0, uscc, kind, loc, unit)
		if err != nil {
			return d, "", fmt.Errorf("monitoring demo: register %s at %s: %w", kind, uscc, err)
		}
		return d, tok, nil
	}
	tank, tankTok, err := dev(station, "fuel_tank", "1号油罐（92号汽油）", "升")
	if err != nil {
		return err
	}
	disp, _, err := dev(station, "dispenser", "3号加油机", "%")
	if err != nil {
		return err
	}
	cold, coldTok, err := dev(restaurant, "cold_chain", "后厨冷冻库", "℃")
	if err != nil {
		return err
	}
	post := func(tok string, rs []Reading) error {
		if _, _, err := m.svc.Ingest(ctx, tok, rs); err != nil {
			return fmt.Errorf("monitoring demo: ingest: %w", err)
		}
		return nil
	}
	// Six hourly readings of the tank, the last ten minutes ago: each hour
	// 120 l dispensed while the level falls by 400 l.
	var rs []Reading
	for h := 0; h < 6; h++ {
		at := now.Add(-time.Duration(5-h)*time.Hour - 10*time.Minute)
		rs = append(rs, Reading{tank.ID, at, "dispensed_l", float64(35000 + 120*h)},
			Reading{tank.ID, at.Add(time.Second), "volume_l", float64(18000 - 400*h)})
	}
	// The dispenser's measuring error, hourly, until an hour ago.
	for i, v := range []float64{0.12, 0.18, 0.41, 0.46} {
		rs = append(rs, Reading{disp.ID, now.Add(-time.Duration(4-i) * time.Hour), "error_pct", v})
	}
	for _, r := range rs {
		if err := post(tankTok, []Reading{r}); err != nil {
			return err
		}
	}
	if err := post(coldTok, []Reading{{cold.ID, now.Add(-3 * time.Hour), "temp_c", -18.5}, {cold.ID, now.Add(-2 * time.Hour), "temp_c", -11.2},
		{cold.ID, now.Add(-20 * time.Minute), "temp_c", -18.1}}); err != nil {
		return err
	}
	if _, err := m.svc.Sweep(ctx); err != nil {
		return fmt.Errorf("monitoring demo: sweep: %w", err)
	}
	return nil
}
