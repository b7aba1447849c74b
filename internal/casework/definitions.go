package casework

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/flow"
)

//go:embed flows/*.json
var flowFS embed.FS

// VerificationFlow is the definition of a commitment verification task
// (告知承诺核查). Its limit is 22 working days: "within one month" of the
// reference rules, counted on the working-day calendar like every other
// limit (a calendar month holds 20 to 23 working days; 22 is the usual
// reading and keeps escalation on the same clock).
const VerificationFlow = "casework.verification"

// Why one definition per promised limit: the engine's state limits are
// fixed per definition, while each item promises its own number of working
// days (承诺时限). So the embedded base definition is the template, and the
// module derives "casework.application.<N>d" for each promised limit N in
// use, with the review state limited to N working days and the overall
// limit N+1 (one working day for intake, 受理, before the promised limit
// starts). The engine then keeps every deadline, pause (补正), extension and
// escalation with no arithmetic here; running applications keep the
// definition version they started on. Instant items (即办件, promised 0)
// run on "…0d": decided on the spot, so when no rule decides at once a
// human still decides within the day it was made (every limit is zero
// working days, which ends at the close of that day), keeping the item's
// promise rather than turning it into a one-day case. Extensions may add
// up to N more working days (one for an instant item).

// definitionKey returns the workflow an item with promised limit days runs on.
func definitionKey(days int) string {
	return "casework.application." + strconv.Itoa(max(days, 0)) + "d"
}

// definitionFor returns the derived definition for promised limit days.
func definitionFor(days int) ([]byte, error) {
	days = max(days, 0)
	raw, err := flowFS.ReadFile("flows/application.json")
	if err != nil {
		return nil, err
	}
	var d flow.Definition
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("casework: base definition: %w", err)
	}
	d.Key = definitionKey(days)
	d.Name = fmt.Sprintf("%s（承诺%d个工作日）", d.Name, days)
	d.NameEn = fmt.Sprintf("%s (%d working days promised)", d.NameEn, days)
	d.Limit = &flow.Limit{N: days + 1, Unit: flow.WorkDays}
	if days == 0 {
		d.Name, d.NameEn = "政务服务办件（即办件，当日办结）", "Service application (on the spot, decided the same day)"
		d.Limit = &flow.Limit{N: 0, Unit: flow.WorkDays}
	}
	for i := range d.States {
		switch {
		case d.States[i].Key == "review":
			d.States[i].Limit = &flow.Limit{N: days, Unit: flow.WorkDays}
		case days == 0 && d.States[i].Limit != nil:
			d.States[i].Limit = &flow.Limit{N: 0, Unit: flow.WorkDays}
		}
	}
	if d.Extension != nil {
		d.Extension.MaxDays = max(days, 1)
	}
	return json.Marshal(&d)
}

// LoadDefinitions loads the verification workflow and the application
// workflow of every promised limit in the published catalogue. Call it at
// start-up, outside any transaction; submitting an application for a limit
// not seen yet loads its definition on the way (Submit does it before its
// transaction).
func (m *Module) LoadDefinitions(ctx context.Context) error {
	for _, name := range []string{"flows/verification.json", "flows/issuance.json"} {
		raw, err := flowFS.ReadFile(name)
		if err != nil {
			return err
		}
		if _, _, err := m.d.Flow.LoadDefinition(ctx, raw, auth.System()); err != nil {
			return fmt.Errorf("casework: %s: %w", name, err)
		}
	}
	seen := map[int]bool{}
	for offset := 0; ; offset += 200 {
		items, total, err := m.d.Catalog.List(ctx, catalog.Query{Limit: 200, Offset: offset})
		if err != nil {
			return fmt.Errorf("casework: load definitions: %w", err)
		}
		for _, it := range items {
			seen[max(it.PromisedLimitDays, 0)] = true
		}
		if offset+200 >= total || len(items) == 0 {
			break
		}
	}
	for days := range seen {
		if err := m.ensureDefinition(ctx, days); err != nil {
			return err
		}
	}
	return nil
}

// ensureDefinition loads the definition for promised limit days unless this
// node already has. Loading is idempotent: the engine keeps one version per
// content, so several nodes loading the same limit agree.
func (m *Module) ensureDefinition(ctx context.Context, days int) error {
	days = max(days, 0)
	m.mu.Lock()
	done := m.loaded[days]
	m.mu.Unlock()
	if done {
		return nil
	}
	raw, err := definitionFor(days)
	if err != nil {
		return err
	}
	if _, _, err := m.d.Flow.LoadDefinition(ctx, raw, auth.System()); err != nil {
		return fmt.Errorf("casework: definition for %d days: %w", days, err)
	}
	m.mu.Lock()
	m.loaded[days] = true
	m.mu.Unlock()
	return nil
}
