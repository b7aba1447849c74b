package policy

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// MatchOptions choose what a run matches and what follows.
type MatchOptions struct {
	// Policies restricts the run to these published policies; empty: all.
	Policies []int64
	// USCC restricts the run to one business.
	USCC string
	// Notify tells newly eligible businesses; Grant puts the newly
	// eligible of 免申即享 policies into publicity.
	Notify, Grant bool
	// DryRun evaluates the same compiled rules and stores nothing: the
	// benchmark's baseline.
	DryRun bool
	// ReadOnly reads the same inputs and evaluates nothing: the
	// benchmark's second baseline (the cost of the reads alone).
	ReadOnly bool
	// Chunk is the businesses read at a time (0: 2000).
	Chunk int
}

// RunStats report a run.
type RunStats struct {
	Businesses  int           `json:"businesses"`
	Policies    int           `json:"policies"`
	Evaluations int           `json:"evaluations" doc:"business × policy pairs decided"`
	Eligible    int           `json:"eligible"`
	Stored      int           `json:"stored" doc:"result rows written (eligible and refused pairs)"`
	Notified    int           `json:"notified"`
	Granted     int           `json:"granted" doc:"grants put into publicity"`
	Elapsed     time.Duration `json:"elapsed_ns"`
}

// result is one stored pair.
type result struct {
	policy   int64
	uscc     string
	eligible bool
	held     string
	refused  string
	amount   int64
}

// Match matches the register (or one business) against the published
// policies, stores each business's inputs and each eligible or refused
// pair, and removes the stored pairs that no longer hold.
func (m *Module) Match(ctx context.Context, o MatchOptions) (*RunStats, error) {
	start := time.Now()
	e, err := m.envir()
	if err != nil {
		return nil, err
	}
	pols, err := m.published(ctx, o.Policies)
	if err != nil {
		return nil, err
	}
	st := &RunStats{Policies: len(pols)}
	if len(pols) == 0 && len(o.Policies) > 0 {
		st.Elapsed = time.Since(start)
		return st, nil
	}
	size := o.Chunk
	if size <= 0 {
		size = 2000
	}
	runAt := store.Time(m.d.Now())
	var basics []entity.Basic
	var pool []*inputs
	held := make([]byte, 0, 32)
	var buf []byte
	after := ""
	if o.USCC != "" {
		b, err := m.d.Register.BasicOf(ctx, o.USCC)
		if err != nil {
			return nil, err
		}
		if b == nil {
			return st, nil
		}
		basics = []entity.Basic{*b}
	}
	for {
		if o.USCC == "" {
			basics = basics[:0]
			if _, err := m.d.Register.ScanBasics(ctx, after, size, func(b *entity.Basic) error {
				basics = append(basics, *b)
				return nil
			}); err != nil {
				return nil, err
			}
			if len(basics) == 0 {
				break
			}
			after = basics[len(basics)-1].USCC
		}
		ch, err := m.load(ctx, e, basics, pool)
		if err != nil {
			return nil, err
		}
		pool = ch.ins
		if o.ReadOnly {
			st.Businesses += len(ch.ins)
			if o.USCC != "" || len(basics) < size {
				break
			}
			continue
		}
		var results []result
		var snaps [][2]string
		for _, in := range ch.ins {
			for _, c := range pols {
				out := e.decide(c, in, held, false)
				st.Evaluations++
				if out.eligible {
					st.Eligible++
				}
				if out.eligible || len(out.excluded) > 0 {
					results = append(results, result{policy: c.p.ID, uscc: in.USCC, eligible: out.eligible,
						held: string(out.held), refused: strings.Join(out.excluded, ","), amount: out.amount})
				}
			}
			if !o.DryRun {
				buf = e.marshal(in, buf)
				snaps = append(snaps, [2]string{in.USCC, string(buf)})
			}
		}
		st.Businesses += len(ch.ins)
		if !o.DryRun {
			if err := m.write(ctx, ch.lo, ch.hi, pols, o, runAt, snaps, results, st); err != nil {
				return nil, err
			}
		}
		if o.USCC != "" || len(basics) < size {
			break
		}
	}
	st.Elapsed = time.Since(start)
	return st, nil
}

// stored is what a chunk's businesses have stored: their inputs and
// their pairs (of the run's policies).
type storedChunk struct {
	inputs map[string]string
	pairs  map[pairKey]result
}

type pairKey struct {
	policy int64
	uscc   string
}

// storedOf reads what is stored for the businesses from lo to hi, the
// pairs restricted to policies when given.
func storedOf(ctx context.Context, tx store.Tx, lo, hi string, policies []int64) (*storedChunk, error) {
	sc := &storedChunk{inputs: map[string]string{}, pairs: map[pairKey]result{}}
	rows, err := tx.QueryContext(ctx, "SELECT uscc, inputs FROM policy_inputs WHERE uscc >= ? AND uscc <= ?", lo, hi)
	if err != nil {
		return nil, fmt.Errorf("policy: stored inputs: %w", err)
	}
	for rows.Next() {
		var u, v string
		if err := rows.Scan(&u, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("policy: stored inputs: %w", err)
		}
		sc.inputs[u] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("policy: stored inputs: %w", err)
	}
	q := "SELECT policy_id, uscc, eligible, held, refused, amount_fen FROM policy_matches WHERE uscc >= ? AND uscc <= ?"
	if len(policies) > 0 {
		q += " AND policy_id IN (" + strings.TrimSuffix(store.FormatIDs(policies)[1:], ",") + ")"
	}
	rows, err = tx.QueryContext(ctx, q, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("policy: stored results: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r result
		if err := rows.Scan(&r.policy, &r.uscc, &r.eligible, &r.held, &r.refused, &r.amount); err != nil {
			return nil, fmt.Errorf("policy: stored results: %w", err)
		}
		sc.pairs[pairKey{r.policy, r.uscc}] = r
	}
	return sc, rows.Err()
}

// same tells whether a stored pair already says what r says. A refusal
// the grants recorded for the budget stands while the clauses still hold
// with the same amount.
func same(old, r result) bool {
	if old.refused == "budget" && r.eligible && old.held == r.held && old.amount == r.amount {
		return true
	}
	return old == r
}

// write stores one chunk's inputs and results in one transaction, with
// what follows from newly eligible pairs. Only what changed is written:
// inputs that differ from the stored ones, pairs new or different, and
// the removal of stored pairs that no longer hold; a run over an
// unchanged register writes nothing.
func (m *Module) write(ctx context.Context, lo, hi string, pols []*compiled, o MatchOptions, at time.Time, snaps [][2]string,
	results []result, st *RunStats) error {
	kind := m.d.DB.Kind()
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		old, err := storedOf(ctx, tx, lo, hi, o.Policies)
		if err != nil {
			return err
		}
		changed := snaps[:0:0]
		for _, s := range snaps {
			if v, ok := old.inputs[s[0]]; !ok || v != s[1] {
				changed = append(changed, s)
			}
		}
		var put []result
		for _, r := range results {
			k := pairKey{r.policy, r.uscc}
			if x, ok := old.pairs[k]; !ok || !same(x, r) {
				put = append(put, r)
			}
			delete(old.pairs, k)
		}
		st.Stored += len(put)
		if err := m.putInputs(ctx, tx, kind, changed, at); err != nil {
			return err
		}
		if err := m.putResults(ctx, tx, kind, put, at); err != nil {
			return err
		}
		// Stored pairs not decided again in this run no longer hold.
		if err := removePairs(ctx, tx, kind, old.pairs); err != nil {
			return err
		}
		if o.Grant && len(put) > 0 {
			n, err := m.grantNew(ctx, tx, lo, hi, pols)
			if err != nil {
				return err
			}
			st.Granted += n
		}
		if o.Notify && len(put) > 0 {
			n, err := m.notifyNew(ctx, tx, lo, hi)
			if err != nil {
				return err
			}
			st.Notified += n
		}
		return nil
	})
}

// removePairs deletes the stored pairs of gone.
func removePairs(ctx context.Context, tx store.Tx, kind store.Kind, gone map[pairKey]result) error {
	if len(gone) == 0 {
		return nil
	}
	var err error
	if kind == store.Postgres {
		ps, us := make([]int64, 0, len(gone)), make([]string, 0, len(gone))
		for k := range gone {
			ps, us = append(ps, k.policy), append(us, k.uscc)
		}
		_, err = tx.Tx.ExecContext(ctx, `DELETE FROM policy_matches WHERE (policy_id, uscc) IN
			(SELECT p, u FROM unnest($1::int8[], $2::text[]) AS t(p, u))`, ps, us)
	} else {
		rows := make([][]any, 0, len(gone))
		for k := range gone {
			rows = append(rows, []any{k.policy, k.uscc})
		}
		err = execRows(ctx, tx, kind, "DELETE FROM policy_matches WHERE (policy_id, uscc) IN (VALUES ", 2, rows, ")")
	}
	if err != nil {
		return fmt.Errorf("policy: remove stale results: %w", err)
	}
	return nil
}

// putInputs upserts businesses' inputs: one statement over arrays on
// PostgreSQL, multi-row statements on SQLite.
func (m *Module) putInputs(ctx context.Context, tx store.Tx, kind store.Kind, snaps [][2]string, at time.Time) error {
	if len(snaps) == 0 {
		return nil
	}
	const tail = " ON CONFLICT (uscc) DO UPDATE SET inputs = excluded.inputs, matched_at = excluded.matched_at"
	var err error
	if kind == store.Postgres {
		us, vs := make([]string, len(snaps)), make([]string, len(snaps))
		for i, s := range snaps {
			us[i], vs[i] = s[0], s[1]
		}
		_, err = tx.Tx.ExecContext(ctx, `INSERT INTO policy_inputs (uscc, inputs, matched_at) SELECT u, v, $3
			FROM unnest($1::text[], $2::text[]) AS t(u, v)`+tail, us, vs, at)
	} else {
		rows := make([][]any, len(snaps))
		for i, s := range snaps {
			rows[i] = []any{s[0], s[1], at}
		}
		err = execRows(ctx, tx, kind, "INSERT INTO policy_inputs (uscc, inputs, matched_at) VALUES ", 3, rows, tail)
	}
	if err != nil {
		return fmt.Errorf("policy: write inputs: %w", err)
	}
	return nil
}

// putResults upserts pairs; a pair told before keeps its notified_at.
func (m *Module) putResults(ctx context.Context, tx store.Tx, kind store.Kind, results []result, at time.Time) error {
	if len(results) == 0 {
		return nil
	}
	var err error
	if kind == store.Postgres {
		n := len(results)
		ps, rus, hs, rs, as := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		es := make([]bool, n)
		for i, r := range results {
			ps[i], rus[i], es[i], hs[i], rs[i], as[i] = r.policy, r.uscc, r.eligible, r.held, r.refused, r.amount
		}
		_, err = tx.Tx.ExecContext(ctx, `INSERT INTO policy_matches (policy_id, uscc, eligible, held, refused, amount_fen,
			matched_at) SELECT p, u, e, h, r, a, $7 FROM unnest($1::int8[], $2::text[], $3::bool[], $4::text[], $5::text[],
			$6::int8[]) AS t(p, u, e, h, r, a)`+matchUpsert, ps, rus, es, hs, rs, as, at)
	} else {
		rows := make([][]any, len(results))
		for i, r := range results {
			rows[i] = []any{r.policy, r.uscc, r.eligible, r.held, r.refused, r.amount, at}
		}
		err = execRows(ctx, tx, kind, `INSERT INTO policy_matches (policy_id, uscc, eligible, held, refused, amount_fen,
			matched_at) VALUES `, 7, rows, matchUpsert)
	}
	if err != nil {
		return fmt.Errorf("policy: write results: %w", err)
	}
	return nil
}

const matchUpsert = ` ON CONFLICT (policy_id, uscc) DO UPDATE SET eligible = excluded.eligible, held = excluded.held,
	refused = excluded.refused, amount_fen = excluded.amount_fen, matched_at = excluded.matched_at`

// writeRows is the rows of one multi-row statement.
const writeRows = 1000

// execRows runs head, rows of n columns as a VALUES list, and tail, in
// statements of at most writeRows rows; the statement of a full batch is
// prepared once.
func execRows(ctx context.Context, tx store.Tx, kind store.Kind, head string, n int, rows [][]any, tail string) error {
	one := "(?" + strings.Repeat(", ?", n-1) + ")"
	query := func(k int) string {
		var sb strings.Builder
		sb.WriteString(head)
		for i := range k {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(one)
		}
		sb.WriteString(tail)
		return store.Rebind(kind, sb.String())
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, min(len(rows), writeRows)*n)
	for len(rows) > 0 {
		part := rows[:min(len(rows), writeRows)]
		rows = rows[len(part):]
		args = args[:0]
		for _, r := range part {
			args = append(args, r...)
		}
		var err error
		if len(part) == writeRows {
			if full == nil {
				if full, err = tx.Tx.PrepareContext(ctx, query(writeRows)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.Tx.ExecContext(ctx, query(len(part)), args...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// notifyNew tells the businesses of the range about the pairs that
// became eligible and were not told yet: one message each, with the
// explanation's link and what to do.
func (m *Module) notifyNew(ctx context.Context, tx store.Tx, lo, hi string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT x.policy_id, x.uscc, x.amount_fen, p.title, p.mode, p.how_to FROM policy_matches x
		JOIN policies p ON p.id = x.policy_id WHERE x.uscc >= ? AND x.uscc <= ? AND x.eligible AND x.notified_at IS NULL`, lo, hi)
	if err != nil {
		return 0, fmt.Errorf("policy: notify: %w", err)
	}
	type note struct {
		id          int64
		uscc        string
		amount      int64
		title, mode string
		howTo       string
	}
	var notes []note
	for rows.Next() {
		var n note
		if err := rows.Scan(&n.id, &n.uscc, &n.amount, &n.title, &n.mode, &n.howTo); err != nil {
			rows.Close()
			return 0, err
		}
		notes = append(notes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	now := m.d.Now()
	for _, n := range notes {
		what := "请在政策计算器中一键申请（即申即享），符合条件即时兑现。"
		whatEn := "Apply in one step in the policy calculator; it is decided at once."
		if n.mode == ModeAuto {
			what = "本政策免申即享，无需申请：名单公示期满后直接兑现至您在册的银行账户；如不需要，可在政策计算器中放弃。"
			whatEn = "No application is needed: after the publicity period the money is paid to the account on file; you may decline it in the policy calculator."
		}
		if n.howTo != "" {
			what += n.howTo
		}
		link := fmt.Sprintf("/policies/calculator/%d", n.id)
		if err := outbox.Add(ctx, tx, now, TopicNotice, map[string]any{"uscc": n.uscc, "object_id": fmt.Sprintf("%d/%s", n.id, n.uscc),
			"title": "您符合惠企政策：" + n.title, "title_en": "Your business qualifies: " + n.title,
			"body":    fmt.Sprintf("根据名录中的数据，贵单位符合《%s》的全部条件，预计可享受%s元。%s点击查看每项条件及所依据的数据。", n.title, fen(n.amount), what),
			"body_en": fmt.Sprintf("From the register's data your business meets every condition of %s, about %s yuan. %s Open it to see each condition and the data it read.", n.title, fen(n.amount), whatEn),
			"link":    link}); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE policy_matches SET notified_at = ? WHERE policy_id = ? AND uscc = ?",
			store.Time(now), n.id, n.uscc); err != nil {
			return 0, fmt.Errorf("policy: notify: %w", err)
		}
	}
	return len(notes), nil
}

// Rematch matches one business again against every published policy:
// what the outbox handlers do when its facts or credit change.
func (m *Module) Rematch(ctx context.Context, uscc string) (*RunStats, error) {
	return m.Match(ctx, MatchOptions{USCC: ids.NormalizeUSCC(uscc), Notify: true, Grant: true})
}

// Handle is the outbox handler of the entity and credit topics: the
// business the event names is matched again.
func (m *Module) Handle(ctx context.Context, e outbox.Event) error {
	var p struct {
		USCC string `json:"uscc"`
	}
	if err := e.Decode(&p); err != nil {
		return err
	}
	if p.USCC == "" {
		return nil
	}
	_, err := m.Rematch(ctx, p.USCC)
	return err
}

// Run expires the policies whose validity ended, every interval, until
// ctx ends.
func (m *Module) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := m.ExpireDue(ctx); err != nil && ctx.Err() == nil {
			m.d.Log.ErrorContext(ctx, "policy expiry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
