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
// module derives "casework.application.<N>d.<L>" for each promised limit N
// and legal limit L in use, with the review state limited to N working
// days and the overall limit N+1 (one working day for intake, 受理, before
// the promised limit starts). The engine then keeps every deadline, pause
// (补正), extension and escalation with no arithmetic here; running
// applications keep the definition version they started on. Instant items
// (即办件, promised 0) run on "…0d.<L>": decided on the spot, so when no
// rule decides at once a human still decides within the day it was made
// (every limit is zero working days, which ends at the close of that day),
// keeping the item's promise rather than turning it into a one-day case.
//
// Extensions follow 行政许可法 第四十二条: a decision not made within the
// legal limit (20 working days, or what the law on the item sets, the
// item's 法定时限) may be extended by 10 working days with the approval of
// the agency's head (the approver role; the extension policy grants to no
// one else), and the applicant is told the reason (a 延长审查期限通知书,
// ExtensionDecided). Counted from the promised deadline, an extension may
// therefore add up to L + 10 − N working days.

// LegalLimitDays is the decision limit of 行政许可法 第四十二条 when the item
// names none: 20 working days from 受理.
const LegalLimitDays = 20

// ExtensionDays is what 第四十二条 lets the agency's head add to the legal
// limit: 10 working days.
const ExtensionDays = 10

// limits are what an item's workflow derives from: its promised limit and
// the legal one, never shorter than the promise.
type limits struct{ promised, legal int }

// limitsOf returns the limits of item it.
func limitsOf(it *catalog.Item) limits {
	l := limits{promised: max(it.PromisedLimitDays, 0), legal: it.LegalLimitDays}
	if l.legal <= 0 {
		l.legal = LegalLimitDays
	}
	l.legal = max(l.legal, l.promised)
	return l
}

// extensionCap is how many working days extensions may add to the
// promised deadline in all: up to the legal limit and its 10 more.
func (l limits) extensionCap() int { return l.legal + ExtensionDays - l.promised }

// definitionKey returns the workflow an item with limits l runs on.
func definitionKey(l limits) string {
	return "casework.application." + strconv.Itoa(l.promised) + "d." + strconv.Itoa(l.legal)
}

// definitionFor returns the derived definition for limits l.
func definitionFor(l limits) ([]byte, error) {
	days := l.promised
	raw, err := flowFS.ReadFile("flows/application.json")
	if err != nil {
		return nil, err
	}
	var d flow.Definition
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("casework: base definition: %w", err)
	}
	d.Key = definitionKey(l)
	d.Name = fmt.Sprintf("%s（承诺%d个工作日，法定%d个工作日）", d.Name, days, l.legal)
	d.NameEn = fmt.Sprintf("%s (%d working days promised, %d by law)", d.NameEn, days, l.legal)
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
		d.Extension.MaxDays = l.extensionCap()
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
	seen := map[limits]bool{}
	for offset := 0; ; offset += 200 {
		items, total, err := m.d.Catalog.List(ctx, catalog.Query{Limit: 200, Offset: offset})
		if err != nil {
			return fmt.Errorf("casework: load definitions: %w", err)
		}
		for _, it := range items {
			seen[limitsOf(it)] = true
		}
		if offset+200 >= total || len(items) == 0 {
			break
		}
	}
	for l := range seen {
		if err := m.ensureDefinition(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// ensureDefinition loads the definition for limits l unless this node
// already has. Loading is idempotent: the engine keeps one version per
// content, so several nodes loading the same limits agree.
func (m *Module) ensureDefinition(ctx context.Context, l limits) error {
	m.mu.Lock()
	done := m.loaded[l]
	m.mu.Unlock()
	if done {
		return nil
	}
	raw, err := definitionFor(l)
	if err != nil {
		return err
	}
	if _, _, err := m.d.Flow.LoadDefinition(ctx, raw, auth.System()); err != nil {
		return fmt.Errorf("casework: definition %s: %w", definitionKey(l), err)
	}
	m.mu.Lock()
	m.loaded[l] = true
	m.mu.Unlock()
	return nil
}
