package risk

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// ChunkSize is how many businesses a full run reads, scores and writes at
// a time: large enough that one query per table and chunk costs nothing
// beside its rows, small enough that no read stays open for long and the
// writes of a chunk are one short transaction.
const ChunkSize = 20000

// writeRows is the rows of one multi-row upsert.
const writeRows = 500

// listings are the businesses on a list today and, by the blind index of
// their legal representative's number, how many of them share one.
type listings struct {
	listed map[string][2]bool
	byRep  map[string][2]int32
}

// loadListings reads the listings in force for the whole register: they
// are few beside the businesses, and relations need them all.
func (m *Module) loadListings(ctx context.Context, p *plan) (*listings, error) {
	ls := &listings{listed: map[string][2]bool{}, byRep: map[string][2]int32{}}
	err := m.d.Credit.ScanListings(ctx, "", "", p.today, func(uscc, list string) error {
		f := ls.listed[uscc]
		f[listIndex(list)] = true
		ls.listed[uscc] = f
		return nil
	})
	if err != nil || !p.related || len(ls.listed) == 0 {
		return ls, err
	}
	usccs := make([]string, 0, len(ls.listed))
	for u := range ls.listed {
		usccs = append(usccs, u)
	}
	reps, err := m.d.Register.LegalRepIndexes(ctx, usccs)
	if err != nil {
		return nil, err
	}
	for u, idx := range reps {
		f, r := ls.listed[u], ls.byRep[idx]
		for l := range f {
			if f[l] {
				r[l]++
			}
		}
		ls.byRep[idx] = r
	}
	return ls, nil
}

func listIndex(list string) int {
	if list == credit.ListSerious {
		return listSerious
	}
	return listAbnormal
}

// apply sets in's listings and relations from ls.
func (ls *listings) apply(in *inputs) {
	in.listed = ls.listed[in.b.USCC]
	if idx := in.b.LegalRepIndex; idx != "" {
		r := ls.byRep[idx]
		for l := range r {
			if in.listed[l] {
				r[l]-- // the business itself
			}
		}
		in.related = r
	}
}

// stored is a class as stored.
type stored struct {
	class, vals, region, industry, since string
	score                                float64
	version                              int64
}

// chunk is a run of consecutive businesses of the register with what is
// known of them.
type chunk struct {
	in      []inputs
	idx     map[string]int32
	old     map[string]stored
	records int
}

// readChunk reads the businesses after after, their records and facts and
// their stored classes; nil at the end of the register. Without aggregate
// it only reads the rows (the benchmark's baseline).
func (m *Module) readChunk(ctx context.Context, p *plan, ls *listings, after string, aggregate bool) (*chunk, error) {
	c := &chunk{in: make([]inputs, 0, ChunkSize)}
	nw, nf := len(p.windows), len(p.facts)
	_, err := m.d.Register.ScanBasics(ctx, after, ChunkSize, func(b *entity.Basic) error {
		c.in = append(c.in, inputs{b: *b})
		return nil
	})
	if err != nil || len(c.in) == 0 {
		return nil, err
	}
	n := len(c.in)
	counts, facts := make([]int32, n*nw), make([]fact, n*nf)
	c.idx = make(map[string]int32, n)
	for i := range c.in {
		in := &c.in[i]
		in.counts, in.facts = counts[i*nw:(i+1)*nw:(i+1)*nw], facts[i*nf:(i+1)*nf:(i+1)*nf]
		c.idx[in.b.USCC] = int32(i)
		if aggregate {
			ls.apply(in)
		}
	}
	lo, hi := c.in[0].b.USCC, c.in[n-1].b.USCC
	var last []byte
	cur := int32(-1)
	err = m.d.Credit.ScanRecords(ctx, lo, hi, p.since, p.today, func(uscc, kind, decided []byte) error {
		c.records++
		if !aggregate {
			return nil
		}
		if !bytes.Equal(uscc, last) {
			last = append(last[:0], uscc...)
			cur = -1
			if i, ok := c.idx[string(uscc)]; ok {
				cur = i
			}
		}
		if cur >= 0 {
			p.record(&c.in[cur], kind, decided)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if nf > 0 {
		err = m.d.Register.ScanFacts(ctx, lo, hi, p.facts, p.today.String(), func(uscc, name, typ, value string) error {
			if i, ok := c.idx[uscc]; ok && aggregate {
				c.in[i].facts[p.factIdx[name]] = fact{set: true, typ: typ, value: value}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	c.old, err = m.storedRange(ctx, after, hi)
	return c, err
}

// storedRange returns the stored classes with codes after after up to hi.
func (m *Module) storedRange(ctx context.Context, after, hi string) (map[string]stored, error) {
	q, args := `SELECT uscc, class, score, model_version, vals, region_code, industry, since FROM risk_classes WHERE uscc > ?`, []any{after}
	if hi != "" {
		q, args = q+" AND uscc <= ?", append(args, hi)
	}
	rows, err := m.d.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("risk: stored classes: %w", err)
	}
	defer rows.Close()
	out := map[string]stored{}
	for rows.Next() {
		var u string
		var s stored
		if err := rows.Scan(&u, &s.class, &s.score, &s.version, &s.vals, &s.region, &s.industry, &s.since); err != nil {
			return nil, fmt.Errorf("risk: stored classes: %w", err)
		}
		out[u] = s
	}
	return out, rows.Err()
}

// storedOne returns the stored class of uscc, in a map as storedRange does.
func (m *Module) storedOne(ctx context.Context, uscc string) (map[string]stored, error) {
	var s stored
	err := m.d.DB.QueryRowContext(ctx, `SELECT class, score, model_version, vals, region_code, industry, since FROM risk_classes
		WHERE uscc = ?`, uscc).Scan(&s.class, &s.score, &s.version, &s.vals, &s.region, &s.industry, &s.since)
	if errors.Is(err, sql.ErrNoRows) {
		return map[string]stored{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("risk: class of %s: %w", uscc, err)
	}
	return map[string]stored{uscc: s}, nil
}

// change is one class to write.
type change struct {
	uscc string
	s    stored
	prev string // the class before, "" for a business classified the first time
}

// moveKey counts movements between classes.
type moveKey struct{ month, region, industry, from, to string }

// snapKey counts a distribution.
type snapKey struct{ region, industry, class string }

// RunStats are what a full run did.
type RunStats struct {
	ModelVersion int64
	Businesses   int
	Records      int
	Changed      int
	Removed      int
	Elapsed      time.Duration
}

// RunOptions tune a full run.
type RunOptions struct {
	// Progress, when set, is called after each chunk.
	Progress func(businesses, changed int)
}

// RunFull classifies every business of the register with the published
// model: chunks are read on one goroutine while the previous chunk is
// scored and its changed classes are written on another. Only classes
// that differ from the stored ones are written; classes of businesses no
// longer in the register are removed. The month's distribution and the
// movements are kept for the statistics pages.
func (m *Module) RunFull(ctx context.Context, o RunOptions) (*RunStats, error) {
	m.runMu.Lock()
	defer m.runMu.Unlock()
	start := time.Now()
	c, err := m.published(ctx)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errors.New("risk: no published model (call Start)")
	}
	p := newPlan(m.today(), c)
	ls, err := m.loadListings(ctx, p)
	if err != nil {
		return nil, err
	}
	var runID int64
	if err := m.d.DB.QueryRowContext(ctx, `INSERT INTO risk_runs (model_version, started_at) VALUES (?, ?) RETURNING id`,
		c.version, store.Time(m.d.Now())).Scan(&runID); err != nil {
		return nil, fmt.Errorf("risk: run: %w", err)
	}
	st := &RunStats{ModelVersion: c.version}
	moves, snap := map[moveKey]int{}, map[snapKey]int{}
	err = m.walk(ctx, p, ls, true, func(ch *chunk) error {
		changes, removed := m.score(p, c, ch, moves, snap)
		if err := m.write(ctx, changes, removed); err != nil {
			return err
		}
		st.Businesses += len(ch.in)
		st.Records += ch.records
		st.Changed += len(changes)
		st.Removed += len(removed)
		if o.Progress != nil {
			o.Progress(st.Businesses, st.Changed)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	month := p.today.String()[:7]
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := addMoves(ctx, tx, moves); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM risk_snapshots WHERE month = ?", month); err != nil {
			return fmt.Errorf("risk: snapshot: %w", err)
		}
		rows := make([][]any, 0, len(snap))
		for k, n := range snap {
			rows = append(rows, []any{month, k.region, k.industry, k.class, n})
		}
		if err := insertRows(ctx, tx, m.d.DB.Kind(), "INSERT INTO risk_snapshots (month, region_code, industry, class, n) VALUES ", 5, rows, ""); err != nil {
			return fmt.Errorf("risk: snapshot: %w", err)
		}
		_, err := tx.ExecContext(ctx, "UPDATE risk_runs SET finished_at = ?, businesses = ?, changed = ? WHERE id = ?",
			store.Time(m.d.Now()), st.Businesses, st.Changed, runID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("risk: run: %w", err)
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// Baseline reads every row a full run reads, in the same chunks and
// queries, and neither scores nor writes anything: what classification is
// measured against.
func (m *Module) Baseline(ctx context.Context) (*RunStats, error) {
	start := time.Now()
	c, err := m.published(ctx)
	if err != nil || c == nil {
		return nil, fmt.Errorf("risk: baseline: no model: %v", err)
	}
	p := newPlan(m.today(), c)
	ls, err := m.loadListings(ctx, p)
	if err != nil {
		return nil, err
	}
	st := &RunStats{ModelVersion: c.version}
	err = m.walk(ctx, p, ls, false, func(ch *chunk) error {
		st.Businesses += len(ch.in)
		st.Records += ch.records
		return nil
	})
	st.Elapsed = time.Since(start)
	return st, err
}

// walk reads the register chunk by chunk on its own goroutine and hands
// each chunk to fn, so reading the next overlaps scoring and writing
// this one. Classes stored after the last business are passed as a final
// chunk with no businesses, to be removed.
func (m *Module) walk(ctx context.Context, p *plan, ls *listings, aggregate bool, fn func(*chunk) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type item struct {
		c   *chunk
		err error
	}
	ch := make(chan item, 1)
	go func() {
		defer close(ch)
		after := ""
		for {
			if ctx.Err() != nil {
				ch <- item{err: ctx.Err()}
				return
			}
			c, err := m.readChunk(ctx, p, ls, after, aggregate)
			if err == nil && c == nil {
				// The tail: classes of businesses after the last one.
				old, err := m.storedRange(ctx, after, "")
				ch <- item{c: &chunk{old: old}, err: err}
				return
			}
			select {
			case ch <- item{c: c, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			after = c.in[len(c.in)-1].b.USCC
		}
	}()
	for it := range ch {
		if it.err != nil {
			return it.err
		}
		if err := fn(it.c); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// score classifies the businesses of ch with c and returns the classes
// that changed and the stored ones to remove, counting movements and the
// distribution.
func (m *Module) score(p *plan, c *compiled, ch *chunk, moves map[moveKey]int, snap map[snapKey]int) ([]change, []string) {
	var changes []change
	vals := make([]Value, len(c.leaves))
	today, month := p.today.String(), p.today.String()[:7]
	for i := range ch.in {
		in := &ch.in[i]
		r := p.evaluate(c, in, vals)
		s := stored{class: r.class, score: r.score, version: c.version, vals: encodeVals(r.vals), region: in.b.RegionCode,
			industry: section(in.b.Industry), since: today}
		if snap != nil {
			snap[snapKey{s.region, s.industry, s.class}]++
		}
		old, ok := ch.old[in.b.USCC]
		if ok {
			delete(ch.old, in.b.USCC)
			if old.class == s.class {
				s.since = old.since
			}
			if old == s {
				continue
			}
		}
		if !ok || old.class != s.class {
			moves[moveKey{month, s.region, s.industry, old.class, s.class}]++
		}
		changes = append(changes, change{uscc: in.b.USCC, s: s, prev: old.class})
	}
	removed := make([]string, 0, len(ch.old))
	for u := range ch.old {
		removed = append(removed, u)
	}
	return changes, removed
}

// write stores changes and removes classes in one transaction.
func (m *Module) write(ctx context.Context, changes []change, removed []string) error {
	if len(changes) == 0 && len(removed) == 0 {
		return nil
	}
	now := store.Time(m.d.Now())
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		return m.writeTx(ctx, tx, now, changes, removed)
	})
}

func (m *Module) writeTx(ctx context.Context, tx store.Tx, now time.Time, changes []change, removed []string) error {
	write := m.writeSQLite
	if m.d.DB.Kind() == store.Postgres {
		write = m.writePostgres
	}
	if err := write(ctx, tx, now, changes, removed); err != nil {
		return err
	}
	switch {
	case m.d.ClassesChanged != nil:
		var moved []ClassChange
		for _, c := range changes {
			if c.prev != c.s.class {
				moved = append(moved, ClassChange{USCC: c.uscc, Region: c.s.region, Previous: c.prev, Current: c.s.class})
			}
		}
		if len(moved) == 0 {
			return nil
		}
		if err := m.d.ClassesChanged(ctx, tx, moved); err != nil {
			return fmt.Errorf("risk: classes of %d businesses changed: %w", len(moved), err)
		}
	case m.d.ClassChanged != nil:
		for _, c := range changes {
			if c.prev == c.s.class {
				continue
			}
			if err := m.d.ClassChanged(ctx, tx, c.uscc, c.s.region, c.prev, c.s.class); err != nil {
				return fmt.Errorf("risk: class of %s changed: %w", c.uscc, err)
			}
		}
	}
	return nil
}

// writeSQLite writes a chunk's classes with multi-row upserts.
func (m *Module) writeSQLite(ctx context.Context, tx store.Tx, now time.Time, changes []change, removed []string) error {
	rows := make([][]any, len(changes))
	for i, c := range changes {
		rows[i] = []any{c.uscc, c.s.class, c.s.score, c.s.version, c.s.vals, c.s.region, c.s.industry, c.s.since, now}
	}
	err := insertRows(ctx, tx, m.d.DB.Kind(), `INSERT INTO risk_classes (uscc, class, score, model_version, vals, region_code,
		industry, since, computed_at) VALUES `, 9, rows, upsertTail)
	if err != nil {
		return fmt.Errorf("risk: write classes: %w", err)
	}
	for len(removed) > 0 {
		part := removed[:min(len(removed), writeRows)]
		removed = removed[len(part):]
		args := make([]any, len(part))
		for i, u := range part {
			args[i] = u
		}
		if _, err := tx.Tx.ExecContext(ctx, "DELETE FROM risk_classes WHERE uscc IN (?"+strings.Repeat(", ?", len(part)-1)+")", args...); err != nil {
			return fmt.Errorf("risk: remove classes: %w", err)
		}
	}
	return nil
}

const upsertTail = ` ON CONFLICT (uscc) DO UPDATE SET class = excluded.class, score = excluded.score,
	model_version = excluded.model_version, vals = excluded.vals, region_code = excluded.region_code,
	industry = excluded.industry, since = excluded.since, computed_at = excluded.computed_at`

// writePostgres writes a chunk's classes in one statement of arrays
// (unnest): PostgreSQL parses and plans it once, where a statement of
// thousands of parameters costs more than its rows.
func (m *Module) writePostgres(ctx context.Context, tx store.Tx, now time.Time, changes []change, removed []string) error {
	if len(changes) > 0 {
		n := len(changes)
		us, cs, vs, rs, is, ss := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		scores, versions := make([]float64, n), make([]int64, n)
		for i, c := range changes {
			us[i], cs[i], vs[i], rs[i], is[i], ss[i] = c.uscc, c.s.class, c.s.vals, c.s.region, c.s.industry, c.s.since
			scores[i], versions[i] = c.s.score, c.s.version
		}
		if _, err := tx.Tx.ExecContext(ctx, `INSERT INTO risk_classes (uscc, class, score, model_version, vals, region_code,
			industry, since, computed_at) SELECT u, c, s, v, x, r, i, si, $9 FROM unnest($1::text[], $2::text[], $3::float8[],
			$4::int8[], $5::text[], $6::text[], $7::text[], $8::text[]) AS t(u, c, s, v, x, r, i, si)`+upsertTail,
			us, cs, scores, versions, vs, rs, is, ss, now); err != nil {
			return fmt.Errorf("risk: write classes: %w", err)
		}
	}
	if len(removed) > 0 {
		if _, err := tx.Tx.ExecContext(ctx, "DELETE FROM risk_classes WHERE uscc = ANY($1::text[])", removed); err != nil {
			return fmt.Errorf("risk: remove classes: %w", err)
		}
	}
	return nil
}

// insertRows inserts rows of n columns with multi-row statements.
func insertRows(ctx context.Context, tx store.Tx, kind store.Kind, head string, n int, rows [][]any, tail string) error {
	one := "(?" + strings.Repeat(", ?", n-1) + ")"
	for len(rows) > 0 {
		part := rows[:min(len(rows), writeRows)]
		rows = rows[len(part):]
		var sb strings.Builder
		sb.WriteString(head)
		args := make([]any, 0, len(part)*n)
		for i, r := range part {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(one)
			args = append(args, r...)
		}
		sb.WriteString(tail)
		if _, err := tx.Tx.ExecContext(ctx, store.Rebind(kind, sb.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

// addMoves adds counted movements.
func addMoves(ctx context.Context, tx store.Tx, moves map[moveKey]int) error {
	for k, n := range moves {
		if _, err := tx.ExecContext(ctx, `INSERT INTO risk_moves (month, region_code, industry, from_class, to_class, n)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (month, region_code, industry, from_class, to_class) DO UPDATE SET n = risk_moves.n + excluded.n`,
			k.month, k.region, k.industry, k.from, k.to, n); err != nil {
			return fmt.Errorf("risk: movements: %w", err)
		}
	}
	return nil
}

// inputsOne reads what is known of one business; nil when it is not in
// the register.
func (m *Module) inputsOne(ctx context.Context, p *plan, uscc string) (*inputs, error) {
	b, err := m.d.Register.BasicOf(ctx, uscc)
	if err != nil || b == nil {
		return nil, err
	}
	in := p.newInputs()
	in.b = *b
	err = m.d.Credit.ScanRecords(ctx, uscc, uscc, p.since, p.today, func(_, kind, decided []byte) error {
		p.record(&in, kind, decided)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := m.d.Register.ScanFacts(ctx, uscc, uscc, p.facts, p.today.String(), func(_, name, typ, value string) error {
		in.facts[p.factIdx[name]] = fact{set: true, typ: typ, value: value}
		return nil
	}); err != nil {
		return nil, err
	}
	listedOf := func(u string) ([2]bool, error) {
		var f [2]bool
		err := m.d.Credit.ScanListings(ctx, u, u, p.today, func(_, list string) error {
			f[listIndex(list)] = true
			return nil
		})
		return f, err
	}
	if in.listed, err = listedOf(uscc); err != nil {
		return nil, err
	}
	if p.related && b.LegalRepIndex != "" {
		others, err := m.d.Register.SharingLegalRep(ctx, uscc)
		if err != nil {
			return nil, err
		}
		for _, o := range others {
			f, err := listedOf(o)
			if err != nil {
				return nil, err
			}
			for l := range f {
				if f[l] {
					in.related[l]++
				}
			}
		}
	}
	return &in, nil
}

// Refresh reclassifies the businesses usccs with the published model at
// once: what a new record, listing or removal about them changes. Each is
// written, with its movement, in one transaction.
func (m *Module) Refresh(ctx context.Context, usccs ...string) error {
	c, err := m.published(ctx)
	if err != nil || c == nil {
		return err
	}
	p := newPlan(m.today(), c)
	for _, u := range usccs {
		u = ids.NormalizeUSCC(u)
		in, err := m.inputsOne(ctx, p, u)
		if err != nil {
			return err
		}
		old, err := m.storedOne(ctx, u)
		if err != nil {
			return err
		}
		ch := &chunk{old: old}
		if in != nil {
			ch.in = []inputs{*in}
		}
		moves := map[moveKey]int{}
		changes, removed := m.score(p, c, ch, moves, nil)
		if len(changes) == 0 && len(removed) == 0 {
			continue
		}
		now := store.Time(m.d.Now())
		if err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := m.writeTx(ctx, tx, now, changes, removed); err != nil {
				return err
			}
			return addMoves(ctx, tx, moves)
		}); err != nil {
			return err
		}
	}
	return nil
}

// Handle is the outbox subscriber of the credit module's topics: the
// business an event names is reclassified; a listing or a removal also
// reclassifies the businesses sharing its legal representative.
func (m *Module) Handle(ctx context.Context, e outbox.Event) error {
	var body struct {
		USCC string `json:"uscc"`
	}
	if err := e.Decode(&body); err != nil {
		return err
	}
	if ids.ValidateUSCC(ids.NormalizeUSCC(body.USCC)) != nil {
		return nil // nothing to classify
	}
	usccs := []string{body.USCC}
	if e.Topic == credit.TopicListed || e.Topic == credit.TopicRemoved {
		others, err := m.d.Register.SharingLegalRep(ctx, body.USCC)
		if err != nil {
			return err
		}
		usccs = append(usccs, others...)
	}
	return m.Refresh(ctx, usccs...)
}

// due reports whether a full run should start: none has finished today
// (in China), or the last one used another model version than the one in
// force (an administrator published one).
func (m *Module) due(ctx context.Context) (bool, error) {
	c, err := m.published(ctx)
	if err != nil || c == nil {
		return false, err
	}
	var version int64
	var started time.Time
	err = m.d.DB.QueryRowContext(ctx, `SELECT model_version, started_at FROM risk_runs WHERE finished_at IS NOT NULL
		ORDER BY id DESC LIMIT 1`).Scan(&version, &started)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("risk: last run: %w", err)
	}
	return version != c.version || calendar.DateOf(started).Before(m.today()), nil
}

// Run is the scheduler: every interval it starts a full run when one is
// due (daily, and after a model is published) and logs what it did. On
// several nodes sharing PostgreSQL two may run at once; a run only writes
// what differs, so the second finds nothing to change.
func (m *Module) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if due, err := m.due(ctx); err != nil {
			m.d.Log.Warn("risk: schedule", "err", err)
		} else if due {
			st, err := m.RunFull(ctx, RunOptions{})
			if err != nil {
				m.d.Log.Error("risk: full run", "err", err)
			} else {
				m.d.Log.Info("risk: full run", "model_version", st.ModelVersion, "businesses", st.Businesses,
					"changed", st.Changed, "removed", st.Removed, "elapsed", st.Elapsed.Round(time.Millisecond))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
