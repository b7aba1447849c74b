package enforcement

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
)

//go:embed flows/*.json
var flowFS embed.FS

// Definitions returns the three workflow definitions with the limits of
// the rules in force: the lead check and its extension (working days),
// the 90 days to decide and its extension (calendar days), the party's
// 5 working days after notice, delivery in 7 working days and payment in
// 15 days.
func (m *Module) Definitions() ([][]byte, error) {
	r := m.d.Rules
	var out [][]byte
	for _, name := range []string{"lead", "case", "simple"} {
		raw, err := flowFS.ReadFile("flows/" + name + ".json")
		if err != nil {
			return nil, err
		}
		d, err := flow.Parse(raw)
		if err != nil {
			return nil, err
		}
		set := func(state string, n int, u flow.Unit) {
			for i := range d.States {
				if d.States[i].Key == state {
					d.States[i].Limit = &flow.Limit{N: n, Unit: u}
				}
			}
		}
		switch name {
		case "lead":
			set("checking", r.LeadCheckWorkingDays, flow.WorkDays)
			d.Extension.MaxDays = r.LeadExtensionWorkingDays
		case "case":
			d.Limit = &flow.Limit{N: r.DecisionDays, Unit: flow.CalendarDays}
			set("notified", r.HearingRequestWorkingDays, flow.WorkDays)
			set("delivery", r.DeliveryWorkingDays, flow.WorkDays)
			set("payment", r.PaymentDays, flow.CalendarDays)
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// LoadDefinitions stores the definitions (a new version only when they
// changed).
func (m *Module) LoadDefinitions(ctx context.Context) error {
	defs, err := m.Definitions()
	if err != nil {
		return fmt.Errorf("enforcement: definitions: %w", err)
	}
	for _, b := range defs {
		if _, _, err := m.d.Flow.LoadDefinition(ctx, b, auth.System()); err != nil {
			return fmt.Errorf("enforcement: %w", err)
		}
	}
	return nil
}
