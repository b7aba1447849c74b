package entity

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// TopicFactsChanged is the outbox topic of a newly recorded fact (payload
// uscc, name, as_of), so that the modules whose rules read facts (policies
// that find the business) re-match the business.
const TopicFactsChanged = "entity.facts_changed"

// FactType is the type of a fact's value. Values are stored as canonical
// text: integers in decimal, money in fen (分, so no rounding is ever
// involved), booleans "true"/"false", dates YYYY-MM-DD.
type FactType string

// The types of fact.
const (
	FactInteger FactType = "integer"
	FactMoney   FactType = "money"
	FactBoolean FactType = "boolean"
	FactText    FactType = "text"
	FactEnum    FactType = "enum"
	FactDate    FactType = "date"
)

// FactDef declares one fact other departments share: its name (what rules
// ask for), type, unit, the values of an enum, and the departments (by
// code) that are its source and so the only ones that may write it.
type FactDef struct {
	Name    string   `json:"name"`
	Label   string   `json:"label"`
	LabelEn string   `json:"label_en"`
	Type    FactType `json:"type"`
	Unit    string   `json:"unit,omitempty"`
	Values  []string `json:"values,omitempty"`
	Sources []string `json:"sources"`
}

// Catalogue is the declared set of facts. The embedded default
// (facts.json) names the demo city's departments as sources; a city loads
// its own with ParseCatalogue.
type Catalogue struct {
	Facts  []FactDef `json:"facts"`
	byName map[string]*FactDef
}

//go:embed facts.json
var defaultCatalogue []byte

// DefaultCatalogue returns the embedded catalogue.
func DefaultCatalogue() *Catalogue {
	c, err := ParseCatalogue(defaultCatalogue)
	if err != nil {
		panic("entity: embedded fact catalogue: " + err.Error())
	}
	return c
}

var factName = func(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ParseCatalogue reads and checks a catalogue: unique snake_case names,
// known types, an enum's values, at least one source each.
func ParseCatalogue(b []byte) (*Catalogue, error) {
	var c Catalogue
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("entity: fact catalogue: %w", err)
	}
	c.byName = map[string]*FactDef{}
	for i := range c.Facts {
		f := &c.Facts[i]
		switch {
		case !factName(f.Name):
			return nil, fmt.Errorf("entity: fact catalogue: name %q: lower-case letters, digits and _", f.Name)
		case c.byName[f.Name] != nil:
			return nil, fmt.Errorf("entity: fact catalogue: %s declared twice", f.Name)
		case f.Label == "":
			return nil, fmt.Errorf("entity: fact catalogue: %s has no label", f.Name)
		case !slices.Contains([]FactType{FactInteger, FactMoney, FactBoolean, FactText, FactEnum, FactDate}, f.Type):
			return nil, fmt.Errorf("entity: fact catalogue: %s: unknown type %q", f.Name, f.Type)
		case f.Type == FactEnum && len(f.Values) == 0:
			return nil, fmt.Errorf("entity: fact catalogue: %s: an enum needs its values", f.Name)
		case f.Type != FactEnum && len(f.Values) > 0:
			return nil, fmt.Errorf("entity: fact catalogue: %s: only an enum has values", f.Name)
		case len(f.Sources) == 0:
			return nil, fmt.Errorf("entity: fact catalogue: %s: no source department", f.Name)
		}
		c.byName[f.Name] = f
	}
	return &c, nil
}

// Def returns the declaration of fact name.
func (c *Catalogue) Def(name string) (*FactDef, bool) {
	f, ok := c.byName[name]
	return f, ok
}

// FactInput is one value a department reports.
type FactInput struct {
	Name  string `json:"name" maxLength:"40"`
	Value string `json:"value" maxLength:"500" doc:"integer: 12; money: yuan as 1234.56 (stored in fen); boolean: true/false; enum: one of its values; date: YYYY-MM-DD"`
	AsOf  string `json:"as_of" doc:"YYYY-MM-DD the value holds from"`
}

// Fact is a stored value: the latest one as of a date when read by name.
type Fact struct {
	Name         string    `json:"name"`
	Label        string    `json:"label"`
	Type         FactType  `json:"type"`
	Unit         string    `json:"unit,omitempty"`
	Value        string    `json:"value" doc:"Canonical text: money in fen"`
	AsOf         string    `json:"as_of"`
	DepartmentID int64     `json:"department_id" doc:"The source department; 0 for the platform"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// Int returns an integer or money fact's value (money in fen).
func (f Fact) Int() (int64, bool) {
	if f.Type != FactInteger && f.Type != FactMoney {
		return 0, false
	}
	n, err := strconv.ParseInt(f.Value, 10, 64)
	return n, err == nil
}

// Bool returns a boolean fact's value.
func (f Fact) Bool() (bool, bool) {
	if f.Type != FactBoolean {
		return false, false
	}
	return f.Value == "true", true
}

// Display is the value as a person reads it: money in yuan with two
// decimals, booleans 是/否.
func (f Fact) Display() string {
	switch f.Type {
	case FactMoney:
		if n, ok := f.Int(); ok {
			sign := ""
			if n < 0 {
				sign, n = "-", -n
			}
			return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
		}
	case FactBoolean:
		if f.Value == "true" {
			return "是"
		}
		return "否"
	}
	return f.Value
}

// canonical checks raw against def and returns the stored text.
func canonical(def *FactDef, raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", "必填 (required)"
	}
	switch def.Type {
	case FactInteger:
		n, err := strconv.ParseInt(strings.NewReplacer(",", "", "，", "").Replace(raw), 10, 64)
		if err != nil {
			return "", "应为整数 (an integer)"
		}
		if n < 0 {
			return "", "不能为负 (may not be negative)"
		}
		return strconv.FormatInt(n, 10), ""
	case FactMoney:
		s := strings.NewReplacer(",", "", "，", "", "元", "", " ", "").Replace(raw)
		r, ok := new(big.Rat).SetString(s)
		if !ok || strings.ContainsAny(s, "eE/") {
			return "", "应为金额（元），如 1234.56 (an amount in yuan)"
		}
		fen := new(big.Rat).Mul(r, big.NewRat(100, 1))
		if !fen.IsInt() {
			return "", "金额最多两位小数 (at most two decimals)"
		}
		if !fen.Num().IsInt64() || fen.Num().Int64() > 1e17 || fen.Num().Int64() < -1e17 {
			return "", "金额过大 (amount too large)"
		}
		return strconv.FormatInt(fen.Num().Int64(), 10), ""
	case FactBoolean:
		switch strings.ToLower(raw) {
		case "true", "1", "是", "yes", "y":
			return "true", ""
		case "false", "0", "否", "no", "n":
			return "false", ""
		}
		return "", "应为 是/否 (true or false)"
	case FactEnum:
		if !slices.Contains(def.Values, raw) {
			return "", "应为 " + strings.Join(def.Values, "、") + " 之一 (one of the listed values)"
		}
		return raw, ""
	case FactDate:
		d, ok := normalDate(raw)
		if !ok {
			return "", "日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"
		}
		return d, ""
	default: // text
		if utf8.RuneCountInString(raw) > 500 {
			return "", "不超过500字 (at most 500 characters)"
		}
		if ctrl(raw) {
			return "", "含有不允许的控制字符 (control characters are not allowed)"
		}
		return raw, ""
	}
}

// catalogue returns the catalogue in force.
func (s *Service) catalogue() *Catalogue {
	if s.d.Catalogue == nil {
		return DefaultCatalogue()
	}
	return s.d.Catalogue
}

// Catalogue returns the declared facts.
func (s *Service) Catalogue() *Catalogue { return s.catalogue() }

// sourceDepartment returns the department a writes def for: the system
// actor writes for the platform (0); anyone else through the first of
// their departments that def names as a source, or not at all.
func (s *Service) sourceDepartment(ctx context.Context, a *auth.Actor, def *FactDef, codes map[int64]string) (int64, bool, error) {
	if a.Has(auth.RoleSystem) {
		return 0, true, nil
	}
	if !a.HasAny(auth.RoleHandler, auth.RoleApprover) {
		return 0, false, nil
	}
	for _, id := range a.DepartmentIDs {
		code, ok := codes[id]
		if !ok {
			if s.d.DepartmentCode == nil {
				return 0, false, nil
			}
			c, err := s.d.DepartmentCode(ctx, id)
			if err != nil {
				return 0, false, fmt.Errorf("entity: department %d: %w", id, err)
			}
			codes[id], code = c, c
		}
		if slices.Contains(def.Sources, code) {
			return id, true, nil
		}
	}
	return 0, false, nil
}

// factWriter checks and stores facts in one transaction.
type factWriter struct {
	s     *Service
	a     *auth.Actor
	codes map[int64]string
	today calendar.Date
}

// check validates one input, returning its definition, canonical value,
// department and the problems by field.
func (w *factWriter) check(ctx context.Context, in *FactInput) (*FactDef, int64, []Rejected, error) {
	var probs []Rejected
	in.Name = strings.TrimSpace(in.Name)
	def, ok := w.s.catalogue().Def(in.Name)
	if !ok {
		return nil, 0, []Rejected{{Field: "name", Message: "未登记的指标 " + in.Name + " (not in the fact catalogue)"}}, nil
	}
	v, msg := canonical(def, in.Value)
	if msg != "" {
		probs = append(probs, Rejected{Field: "value", Message: msg})
	}
	in.Value = v
	if d, ok := normalDate(in.AsOf); !ok {
		probs = append(probs, Rejected{Field: "as_of", Message: "截至日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)"})
	} else if dd, _ := calendar.ParseDate(d); dd.After(w.today) {
		probs = append(probs, Rejected{Field: "as_of", Message: "截至日期不能晚于今天 (cannot be in the future)"})
	} else {
		in.AsOf = d
	}
	dept, ok, err := w.s.sourceDepartment(ctx, w.a, def, w.codes)
	if err != nil {
		return nil, 0, nil, err
	}
	if !ok {
		probs = append(probs, Rejected{Field: "name", Message: "本部门不是该指标的数据来源 (your department is not a source of this fact)"})
	}
	return def, dept, probs, nil
}

func (w *factWriter) insert(ctx context.Context, tx store.IDB, uscc string, def *FactDef, in FactInput, dept int64) error {
	// The same value, as of the same day, from the same department again
	// (a repeated PUT or import) is already known.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM entity_facts WHERE uscc = ? AND name = ? AND as_of = ? AND value = ?
		AND department_id = ?`, uscc, def.Name, in.AsOf, in.Value, dept).Scan(&n); err != nil {
		return fmt.Errorf("entity: fact %s of %s: %w", def.Name, uscc, err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO entity_facts (uscc, name, type, value, as_of, department_id, recorded_at, recorded_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, uscc, def.Name, string(def.Type), in.Value, in.AsOf, dept,
		store.Time(w.s.d.Now()), w.a.UserID); err != nil {
		return fmt.Errorf("entity: fact %s of %s: %w", def.Name, uscc, err)
	}
	return outbox.Add(ctx, tx, w.s.d.Now(), TopicFactsChanged, map[string]any{"uscc": uscc, "name": def.Name, "as_of": in.AsOf})
}

// PutFacts records facts about business uscc, all or none: each must be
// declared, typed as declared and reported by a department that is its
// source. A later value does not erase an earlier one; Facts reads the
// latest as of a date.
func (s *Service) PutFacts(ctx context.Context, a *auth.Actor, uscc string, in []FactInput) ([]Fact, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	e, err := s.Get(ctx, a, uscc)
	if err != nil {
		return nil, err
	}
	if !a.Has(auth.RoleSystem) && s.d.Policy.Authorize(a, auth.ActAct, object(e.USCC, e.RegionCode)) != nil {
		return nil, auth.ErrForbidden
	}
	if len(in) == 0 {
		return nil, &valid.FieldError{Path: "facts", Message: "至少报送一项 (at least one fact)"}
	}
	if len(in) > 200 {
		return nil, &valid.FieldError{Path: "facts", Message: "一次最多200项 (at most 200 facts at once)"}
	}
	w := &factWriter{s: s, a: a, codes: map[int64]string{}, today: calendar.DateOf(s.d.Now())}
	var p valid.Problems
	defs := make([]*FactDef, len(in))
	depts := make([]int64, len(in))
	for i := range in {
		def, dept, probs, err := w.check(ctx, &in[i])
		if err != nil {
			return nil, err
		}
		for _, pr := range probs {
			p.Add(fmt.Sprintf("facts[%d].%s", i, pr.Field), "%s", pr.Message)
		}
		defs[i], depts[i] = def, dept
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	err = s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i := range in {
			if err := w.insert(ctx, tx, e.USCC, defs[i], in[i], depts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.FactsOf(ctx, a, e.USCC, calendar.Date{})
}

// Facts answers the rules of other modules: the latest value of each
// named fact about business uscc as of asOf (zero: today), by name. A fact
// never reported, or reported only as of a later day, is absent. It reads
// without an authorisation check (a system reader).
func (s *Service) Facts(ctx context.Context, uscc string, names []string, asOf calendar.Date) (map[string]Fact, error) {
	if asOf.IsZero() {
		asOf = calendar.DateOf(s.d.Now())
	}
	out := map[string]Fact{}
	if len(names) == 0 {
		return out, nil
	}
	q := `SELECT name, type, value, as_of, department_id, recorded_at FROM entity_facts WHERE uscc = ? AND as_of <= ? AND name IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ") + `) ORDER BY name, as_of DESC, id DESC`
	args := []any{ids.NormalizeUSCC(uscc), asOf.String()}
	for _, n := range names {
		args = append(args, n)
	}
	rows, err := s.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("entity: facts of %s: %w", uscc, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f Fact
		if err := rows.Scan(&f.Name, &f.Type, &f.Value, &f.AsOf, &f.DepartmentID, &f.RecordedAt); err != nil {
			return nil, fmt.Errorf("entity: facts of %s: %w", uscc, err)
		}
		if _, seen := out[f.Name]; seen {
			continue
		}
		f.RecordedAt = f.RecordedAt.UTC()
		if def, ok := s.catalogue().Def(f.Name); ok {
			f.Label, f.Unit = def.Label, def.Unit
		}
		out[f.Name] = f
	}
	return out, rows.Err()
}

// FactsOf returns every declared fact known about business uscc as of
// asOf, in catalogue order, if a may read the business.
func (s *Service) FactsOf(ctx context.Context, a *auth.Actor, uscc string, asOf calendar.Date) ([]Fact, error) {
	e, err := s.Get(ctx, a, uscc)
	if err != nil {
		return nil, err
	}
	c := s.catalogue()
	names := make([]string, len(c.Facts))
	for i, f := range c.Facts {
		names[i] = f.Name
	}
	m, err := s.Facts(ctx, e.USCC, names, asOf)
	if err != nil {
		return nil, err
	}
	out := []Fact{}
	for _, n := range names {
		if f, ok := m[n]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// FactColumns are the columns of a facts import file.
var FactColumns = []struct{ Key, Heading string }{
	{"uscc", "统一社会信用代码"}, {"name", "指标"}, {"value", "数值"}, {"as_of", "截至日期"},
}

// ImportFacts loads facts from a CSV (UTF-8) or xlsx file, one fact per
// row under a heading naming FactColumns. The import is all or nothing:
// one refused row (unknown business or fact, a value of the wrong type, a
// fact the importing department is not the source of) stores nothing, and
// the report names every refused row and field. Long files report
// progress through opt.Progress.
func (s *Service) ImportFacts(ctx context.Context, a *auth.Actor, r io.Reader, opt ImportOptions) (*Report, error) {
	start := time.Now()
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.HasAny(auth.RoleSystem, auth.RoleHandler, auth.RoleApprover) {
		return nil, auth.ErrForbidden
	}
	rows, err := openRows(r, opt.Format)
	if err != nil {
		return nil, err
	}
	defer rows.close()
	at, err := heading(rows, FactColumns, nil)
	if err != nil {
		return nil, err
	}
	if opt.ProgressEvery <= 0 {
		opt.ProgressEvery = 10000
	}
	rep := &Report{Rejected: []Rejected{}}
	w := &factWriter{s: s, a: a, codes: map[int64]string{}, today: calendar.DateOf(s.d.Now())}
	errRefused := errors.New("facts import refused")
	caller := ctx
	err = s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		exists, err := tx.PrepareContext(ctx, store.Rebind(s.d.DB.Kind(), "SELECT COUNT(*) FROM entities WHERE uscc = ?"))
		if err != nil {
			return fmt.Errorf("entity: prepare: %w", err)
		}
		defer exists.Close()
		for n := 2; ; n++ {
			rec, err := rows.next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				rep.Rows++
				rep.RejectedRows++
				rep.reject(n, "file", "无法解析该行 (cannot parse the row): "+err.Error())
				continue
			}
			if blank(rec) {
				continue
			}
			rep.Rows++
			if err := caller.Err(); err != nil {
				return err
			}
			get := func(k string) string {
				if i := at[k]; i < len(rec) {
					return strings.TrimSpace(rec[i])
				}
				return ""
			}
			uscc := ids.NormalizeUSCC(get("uscc"))
			in := FactInput{Name: get("name"), Value: get("value"), AsOf: get("as_of")}
			var probs []Rejected
			var known int
			if ids.ValidateUSCC(uscc) != nil {
				probs = append(probs, Rejected{Field: "uscc", Message: "统一社会信用代码不正确 (invalid unified social credit code)"})
			} else if err := exists.QueryRowContext(ctx, uscc).Scan(&known); err != nil {
				return fmt.Errorf("entity: import facts row %d: %w", n, err)
			} else if known == 0 {
				probs = append(probs, Rejected{Field: "uscc", Message: "名录中没有该经营主体 (not in the register)"})
			}
			def, dept, more, err := w.check(ctx, &in)
			if err != nil {
				return err
			}
			if probs = append(probs, more...); len(probs) > 0 {
				rep.RejectedRows++
				for _, p := range probs {
					rep.reject(n, p.Field, p.Message)
				}
				continue
			}
			if rep.RejectedRows == 0 {
				if err := w.insert(ctx, tx, uscc, def, in, dept); err != nil {
					return err
				}
				rep.Created++
			}
			if opt.Progress != nil && rep.Rows%opt.ProgressEvery == 0 {
				opt.Progress(rep.Rows)
			}
		}
		if rep.RejectedRows > 0 {
			return errRefused
		}
		return nil
	})
	if opt.Progress != nil {
		opt.Progress(rep.Rows)
	}
	rep.Duration = time.Since(start)
	switch {
	case errors.Is(err, errRefused):
		rep.Created = 0
		return rep, nil
	case err != nil:
		return nil, err
	}
	rep.Applied = true
	return rep, nil
}
