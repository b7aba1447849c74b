package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/entity"
)

// chunk is the inputs of consecutive businesses of the register.
type chunk struct {
	ins    []*inputs
	byUSCC map[string]*inputs
	lo, hi string
}

// grantedStatuses are the grant states that count as granted.
const grantedIn = "('granted', 'paid')"

// load reads the inputs of the businesses basics, with codes from lo to
// hi, as of today.
func (m *Module) load(ctx context.Context, e *envir, basics []entity.Basic, pool []*inputs) (*chunk, error) {
	if len(basics) == 0 {
		return &chunk{}, nil
	}
	today := m.today()
	ch := &chunk{byUSCC: make(map[string]*inputs, len(basics)), lo: basics[0].USCC, hi: basics[len(basics)-1].USCC}
	ts := str(today.String())
	for i := range basics {
		b := &basics[i]
		var in *inputs
		if i < len(pool) {
			in = pool[i]
			in.reset()
		} else {
			in = e.newInputs()
		}
		in.USCC = b.USCC
		in.vals[slotType], in.vals[slotRegion], in.vals[slotIndustry] = str(b.Type), str(b.RegionCode), str(b.Industry)
		in.vals[slotCapital], in.vals[slotEstablished], in.vals[slotStatus] = num(float64(b.CapitalYuan)), str(b.EstablishedOn), str(b.Status)
		if est, err := calendar.ParseDate(b.EstablishedOn); err == nil {
			years := today.Year() - est.Year()
			if today.Month() < est.Month() || today.Month() == est.Month() && today.Day() < est.Day() {
				years--
			}
			in.vals[slotAge] = num(float64(years))
		}
		in.vals[slotSerious], in.vals[slotAbnormal] = boolean(false), boolean(false)
		in.vals[slotCerts], in.vals[slotGrants] = val{k: kList}, val{k: kList}
		in.vals[slotToday] = ts
		in.asOf[slotSerious], in.asOf[slotAbnormal], in.asOf[slotClass] = today.String(), today.String(), today.String()
		ch.ins = append(ch.ins, in)
		ch.byUSCC[b.USCC] = in
	}
	err := m.d.Register.ScanFactsFull(ctx, ch.lo, ch.hi, today.String(), func(f FactRow) error {
		in := ch.byUSCC[f.USCC]
		slot, ok := e.facts[f.Name]
		if in == nil || !ok {
			return nil
		}
		vr := e.vars[slot]
		var v val
		switch {
		case vr.Money:
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil {
				return nil
			}
			v = num(float64(n) / 100)
		case vr.Int:
			n, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil {
				return nil
			}
			v = num(float64(n))
		case vr.Type.String() == "bool":
			v = boolean(f.Value == "true")
		default:
			v = str(f.Value)
		}
		in.vals[slot], in.dept[slot], in.asOf[slot] = v, f.DepartmentID, f.AsOf
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := m.d.Credit.ScanListings(ctx, ch.lo, ch.hi, today, func(uscc, list string) error {
		if in := ch.byUSCC[uscc]; in != nil {
			switch list {
			case "serious":
				in.vals[slotSerious] = boolean(true)
			case "abnormal":
				in.vals[slotAbnormal] = boolean(true)
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("policy: listings: %w", err)
	}
	if m.d.Classes != nil {
		if err := m.d.Classes.ScanClasses(ctx, ch.lo, ch.hi, func(uscc, class string) error {
			if in := ch.byUSCC[uscc]; in != nil {
				in.vals[slotClass] = str(class)
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("policy: classes: %w", err)
		}
	}
	if m.d.Certificates != nil {
		if err := m.d.Certificates.ScanHeld(ctx, ch.lo, ch.hi, m.d.Now(), func(uscc, code string) error {
			if in := ch.byUSCC[uscc]; in != nil {
				in.vals[slotCerts].l = append(in.vals[slotCerts].l, str(code))
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("policy: certificates: %w", err)
		}
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT g.uscc, p.code FROM policy_grants g JOIN policies p ON p.id = g.policy_id
		WHERE g.uscc >= ? AND g.uscc <= ? AND g.status IN `+grantedIn, ch.lo, ch.hi)
	if err != nil {
		return nil, fmt.Errorf("policy: grants: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, code string
		if err := rows.Scan(&u, &code); err != nil {
			return nil, fmt.Errorf("policy: grants: %w", err)
		}
		if in := ch.byUSCC[u]; in != nil {
			in.vals[slotGrants].l = append(in.vals[slotGrants].l, str(code))
			if in.granted == nil {
				in.granted = map[string]bool{}
			}
			in.granted[code] = true
		}
	}
	return ch, rows.Err()
}

// loadOne reads the inputs of one business; nil when it is not in the
// register.
func (m *Module) loadOne(ctx context.Context, e *envir, uscc string) (*inputs, error) {
	b, err := m.d.Register.BasicOf(ctx, uscc)
	if err != nil || b == nil {
		return nil, err
	}
	ch, err := m.load(ctx, e, []entity.Basic{*b}, nil)
	if err != nil {
		return nil, err
	}
	return ch.ins[0], nil
}

// storedValue is one known value in the stored inputs.
type storedValue struct {
	K byte     `json:"k"`
	B bool     `json:"b,omitempty"`
	N float64  `json:"n,omitempty"`
	S string   `json:"s,omitempty"`
	L []string `json:"l,omitempty"`
	D int64    `json:"d,omitempty"`
	A string   `json:"a,omitempty"`
}

// marshal writes the known values of in, by variable name: what every
// stored result is explained from.
func (e *envir) marshal(in *inputs, buf []byte) []byte {
	buf = append(buf[:0], '{')
	first := true
	for i, v := range in.vals {
		if v.k == kUnknown {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = strconv.AppendQuote(buf, e.vars[i].Name)
		buf = append(buf, `:{"k":`...)
		buf = strconv.AppendInt(buf, int64(v.k), 10)
		switch v.k {
		case kNum:
			buf = append(buf, `,"n":`...)
			buf = strconv.AppendFloat(buf, v.n, 'g', -1, 64)
		case kStr:
			buf = append(buf, `,"s":`...)
			buf = strconv.AppendQuote(buf, v.s)
		case kBool:
			buf = append(buf, `,"b":`...)
			buf = strconv.AppendBool(buf, v.b)
		case kList:
			buf = append(buf, `,"l":[`...)
			for j, x := range v.l {
				if j > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendQuote(buf, x.s)
			}
			buf = append(buf, ']')
		}
		if in.dept[i] != 0 {
			buf = append(buf, `,"d":`...)
			buf = strconv.AppendInt(buf, in.dept[i], 10)
		}
		if in.asOf[i] != "" {
			buf = append(buf, `,"a":`...)
			buf = strconv.AppendQuote(buf, in.asOf[i])
		}
		buf = append(buf, '}')
	}
	return append(buf, '}')
}

// unmarshal reads stored inputs.
func (e *envir) unmarshal(uscc string, b []byte) (*inputs, error) {
	var m map[string]storedValue
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("policy: stored inputs of %s: %w", uscc, err)
	}
	in := e.newInputs()
	in.USCC = uscc
	for name, sv := range m {
		i, ok := e.byName[name]
		if !ok {
			continue
		}
		switch sv.K {
		case kNum:
			in.vals[i] = num(sv.N)
		case kStr:
			in.vals[i] = str(sv.S)
		case kBool:
			in.vals[i] = boolean(sv.B)
		case kList:
			in.vals[i] = strs(sv.L)
		}
		in.dept[i], in.asOf[i] = sv.D, sv.A
	}
	for _, g := range in.vals[slotGrants].l {
		if in.granted == nil {
			in.granted = map[string]bool{}
		}
		in.granted[g.s] = true
	}
	return in, nil
}

var _ = time.Now
