package monitoring

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Device is a registered monitoring device as the engine sees it.
type Device struct {
	ID   int64
	USCC string
	Kind string
}

// Reading is one measured value.
type Reading struct {
	DeviceID int64     `json:"device_id"`
	Time     time.Time `json:"time"`
	Metric   string    `json:"metric"`
	Value    float64   `json:"value"`
}

// MaxBatch is the largest number of readings accepted in one batch.
const MaxBatch = 5000

// MaxSkew is how far into the future a reading's time may lie.
const MaxSkew = 2 * time.Minute

// ValidateBatch checks a batch for the devices a token may post for; the
// error is a *FieldError naming the item (items[i].field). lastTime gives the
// latest stored time per device and metric: older readings are out of order.
// Exact repeats of (device, metric, time) are allowed (idempotent).
func ValidateBatch(rs []Reading, devices map[int64]Device, lastTime func(dev int64, metric string) time.Time, now time.Time) error {
	if len(rs) == 0 {
		return &FieldError{"items", "empty batch"}
	}
	if len(rs) > MaxBatch {
		return ErrBatchTooLarge
	}
	for i, r := range rs {
		f := func(name, msg string) error { return &FieldError{fmt.Sprintf("items[%d].%s", i, name), msg} }
		if _, ok := devices[r.DeviceID]; !ok {
			return &ForbiddenError{fmt.Sprintf("items[%d].device_id", i)}
		}
		if r.Metric == "" || len(r.Metric) > 64 || hasControl(r.Metric) {
			return f("metric", "required, at most 64 characters, no control characters")
		}
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			return f("value", "not a finite number")
		}
		if r.Time.IsZero() || r.Time.After(now.Add(MaxSkew)) {
			return f("time", "missing or in the future")
		}
		if lastTime != nil {
			if lt := lastTime(r.DeviceID, r.Metric); r.Time.Before(lt) {
				return f("time", "older than the last stored reading")
			}
		}
	}
	return nil
}

// ErrBatchTooLarge is returned for a batch of more than MaxBatch readings.
var ErrBatchTooLarge = fmt.Errorf("monitoring: more than %d readings in one batch", MaxBatch)

// ForbiddenError names the item of a batch for a device the token may not
// post for (another business's, a revoked or an unknown device: which of
// them is not told).
type ForbiddenError struct{ Field string }

func (e *ForbiddenError) Error() string { return e.Field + ": device not allowed for this token" }

// Firing is one rule firing on one device.
type Firing struct {
	RuleCode    string
	DeviceID    int64
	USCC        string
	At          time.Time
	Explanation string
}

type point struct {
	t time.Time
	v float64
}

// Engine evaluates rules in memory with per-device state. It is not safe
// for concurrent use; callers serialise batches (one ingest transaction at a time).
type Engine struct {
	rules  *RuleSet
	byKind map[string][]Rule
	last   map[int64]map[string]point // device → metric → last reading
	seen   map[int64]time.Time        // device → last reading of any metric
}

// NewEngine returns an engine for the rule set.
func NewEngine(rs *RuleSet) *Engine {
	e := &Engine{rules: rs, byKind: map[string][]Rule{}, last: map[int64]map[string]point{}, seen: map[int64]time.Time{}}
	for _, r := range rs.Rules {
		e.byKind[r.DeviceKind] = append(e.byKind[r.DeviceKind], r)
	}
	return e
}

// Evaluate applies threshold and rate rules to a validated batch, updating
// the per-device state, and returns the firings in time order.
func (e *Engine) Evaluate(batch []Reading, devices map[int64]Device) []Firing {
	sorted := make([]Reading, len(batch))
	copy(sorted, batch)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
	var out []Firing
	for _, r := range sorted {
		d := devices[r.DeviceID]
		m := e.last[d.ID]
		if m == nil {
			m = map[string]point{}
			e.last[d.ID] = m
		}
		prev, hadPrev := m[r.Metric]
		for _, rule := range e.byKind[d.Kind] {
			if rule.Metric != r.Metric {
				continue
			}
			switch rule.Kind {
			case KindThreshold:
				if (rule.Min != nil && r.Value < *rule.Min) || (rule.Max != nil && r.Value > *rule.Max) {
					out = append(out, Firing{rule.Code, d.ID, d.USCC, r.Time,
						fmt.Sprintf("%s：读数 %g，超出允许范围 %s～%s", rule.Name, r.Value, bound(rule.Min), bound(rule.Max))})
				}
			case KindRate:
				if !hadPrev || !r.Time.After(prev.t) {
					continue
				}
				hours := r.Time.Sub(prev.t).Hours()
				drop := prev.v - r.Value
				var dispensed float64
				if rule.CompareMetric != "" {
					if cur, ok := m[rule.CompareMetric]; ok {
						if base, ok := m[prevKey(rule.CompareMetric)]; ok && !cur.t.Before(prev.t) {
							dispensed = cur.v - base.v
						}
					}
				}
				if excess := drop - dispensed; excess/hours > rule.MaxDropPerHour {
					out = append(out, Firing{rule.Code, d.ID, d.USCC, r.Time,
						fmt.Sprintf("%s：%.2f 小时内下降 %g，同期付出 %g，无法解释的下降每小时 %.1f，超过限值 %g", rule.Name, hours, drop, dispensed, excess/hours, rule.MaxDropPerHour)})
				}
			}
		}
		// Keep the compare metric's value at the time of the last reading
		// of each rate metric, so the next interval compares like with like.
		for _, rule := range e.byKind[d.Kind] {
			if rule.Kind == KindRate && rule.Metric == r.Metric && rule.CompareMetric != "" {
				if cur, ok := m[rule.CompareMetric]; ok {
					m[prevKey(rule.CompareMetric)] = cur
				}
			}
		}
		m[r.Metric] = point{r.Time, r.Value}
		if r.Time.After(e.seen[d.ID]) {
			e.seen[d.ID] = r.Time
		}
	}
	return out
}

// Sweep applies gap rules at now to the devices given, returning a firing
// for each device whose last reading (or registration, if none) is older
// than the rule's gap.
func (e *Engine) Sweep(now time.Time, devices []Device, registered func(Device) time.Time) []Firing {
	var out []Firing
	for _, d := range devices {
		last, ok := e.seen[d.ID]
		if !ok && registered != nil {
			last = registered(d)
		}
		for _, rule := range e.byKind[d.Kind] {
			if rule.Kind != KindGap {
				continue
			}
			gap := time.Duration(rule.GapMinutes) * time.Minute
			if now.Sub(last) > gap {
				out = append(out, Firing{rule.Code, d.ID, d.USCC, now,
					fmt.Sprintf("%s：自 %s 起无读数（超过 %d 分钟）", rule.Name, last.In(cst).Format("2006-01-02 15:04"), rule.GapMinutes)})
			}
		}
	}
	return out
}

// cst is China Standard Time, in which explanations give times.
var cst = time.FixedZone("CST", 8*3600)

// prevKey is where the engine keeps a compare metric's value at the time
// of the last reading of the metric compared with it.
func prevKey(metric string) string { return "\x00prev:" + metric }

// known reports whether the engine holds state for device id.
func (e *Engine) known(id int64) bool { _, ok := e.last[id]; return ok }

// restore sets device id's state from stored readings (Store.lastPoints).
func (e *Engine) restore(id int64, pts map[string]point) {
	m := map[string]point{}
	for k, p := range pts {
		m[k] = p
		if k[0] != 0 && p.t.After(e.seen[id]) {
			e.seen[id] = p.t
		}
	}
	e.last[id] = m
}

// compareMetrics returns, for a device kind, the rate rules' metric →
// compare metric.
func (e *Engine) compareMetrics(kind string) map[string]string {
	out := map[string]string{}
	for _, r := range e.byKind[kind] {
		if r.Kind == KindRate && r.CompareMetric != "" {
			out[r.Metric] = r.CompareMetric
		}
	}
	return out
}

func bound(p *float64) string {
	if p == nil {
		return "∞"
	}
	return fmt.Sprintf("%g", *p)
}
