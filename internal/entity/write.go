package entity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/store"
)

// Outcome says what writing one business did.
type Outcome int

// The outcomes of writing one business.
const (
	Unchanged Outcome = iota
	Created
	Updated
)

// writer writes businesses inside one transaction with prepared
// statements, so that a bulk import of a million rows costs one round of
// statements per row and no parsing.
type writer struct {
	s                        *Service
	tx                       store.Tx
	get, insert, update, log *sql.Stmt
	actor                    int64
	source                   string
}

func (s *Service) newWriter(ctx context.Context, tx store.Tx, actor int64, source string) (*writer, error) {
	w := &writer{s: s, tx: tx, actor: actor, source: source}
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, store.Rebind(s.d.DB.Kind(), q))
		return st
	}
	w.get = prep(`SELECT name, type, legal_rep, legal_rep_id_index, address, region_code, industry, capital_yuan, established_on,
		status, scope FROM entities WHERE uscc = ?`)
	w.insert = prep(`INSERT INTO entities (uscc, name, type, legal_rep, legal_rep_id_enc, legal_rep_id_index, address, region_code,
		industry, capital_yuan, established_on, status, scope, created_at, updated_at, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`)
	w.update = prep(`UPDATE entities SET name = ?, type = ?, legal_rep = ?, legal_rep_id_enc = ?, legal_rep_id_index = ?,
		address = ?, region_code = ?, industry = ?, capital_yuan = ?, established_on = ?, status = ?, scope = ?, updated_at = ?,
		version = version + 1 WHERE uscc = ?`)
	w.log = prep(`INSERT INTO entity_history (uscc, field, old_value, new_value, source, changed_at, changed_by)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		w.close()
		return nil, fmt.Errorf("entity: prepare: %w", err)
	}
	return w, nil
}

func (w *writer) close() {
	for _, st := range []*sql.Stmt{w.get, w.insert, w.update, w.log} {
		if st != nil {
			st.Close()
		}
	}
}

// write stores in (already checked), recording each changed field. The
// identity number's change is recorded without the number itself.
func (w *writer) write(ctx context.Context, in *Input) (Outcome, error) {
	now := store.Time(w.s.d.Now())
	index := w.s.d.Box.Index(in.LegalRepID)
	var old Input
	var oldIndex string
	err := w.get.QueryRowContext(ctx, in.USCC).Scan(&old.Name, &old.Type, &old.LegalRep, &oldIndex, &old.Address,
		&old.RegionCode, &old.Industry, &old.CapitalYuan, &old.EstablishedOn, &old.Status, &old.Scope)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := w.insert.ExecContext(ctx, in.USCC, in.Name, in.Type, in.LegalRep, w.s.d.Box.Seal(in.LegalRepID), index,
			in.Address, in.RegionCode, in.Industry, in.CapitalYuan, in.EstablishedOn, in.Status, in.Scope, now, now); err != nil {
			return 0, fmt.Errorf("entity: insert %s: %w", in.USCC, err)
		}
		return Created, nil
	}
	if err != nil {
		return 0, fmt.Errorf("entity: read %s: %w", in.USCC, err)
	}
	type diff struct{ field, old, new string }
	var diffs []diff
	for _, f := range []diff{{"name", old.Name, in.Name}, {"type", old.Type, in.Type}, {"legal_representative", old.LegalRep, in.LegalRep},
		{"address", old.Address, in.Address}, {"region_code", old.RegionCode, in.RegionCode}, {"industry", old.Industry, in.Industry},
		{"capital_yuan", strconv.FormatInt(old.CapitalYuan, 10), strconv.FormatInt(in.CapitalYuan, 10)},
		{"established_on", old.EstablishedOn, in.EstablishedOn}, {"status", old.Status, in.Status}, {"scope", old.Scope, in.Scope}} {
		if f.old != f.new {
			diffs = append(diffs, f)
		}
	}
	if oldIndex != index {
		diffs = append(diffs, diff{"legal_representative_id", "(已变更 changed)", "(已变更 changed)"})
	}
	if len(diffs) == 0 {
		return Unchanged, nil
	}
	if _, err := w.update.ExecContext(ctx, in.Name, in.Type, in.LegalRep, w.s.d.Box.Seal(in.LegalRepID), index, in.Address,
		in.RegionCode, in.Industry, in.CapitalYuan, in.EstablishedOn, in.Status, in.Scope, now, in.USCC); err != nil {
		return 0, fmt.Errorf("entity: update %s: %w", in.USCC, err)
	}
	for _, d := range diffs {
		if _, err := w.log.ExecContext(ctx, in.USCC, d.field, d.old, d.new, w.source, now, w.actor); err != nil {
			return 0, fmt.Errorf("entity: history %s: %w", in.USCC, err)
		}
	}
	return Updated, nil
}

// Put registers or corrects one business. Administrators of its region
// may; the change of each field is kept in its history.
func (s *Service) Put(ctx context.Context, a *auth.Actor, in Input) (*Entity, Outcome, error) {
	if a == nil {
		return nil, 0, auth.ErrUnauthenticated
	}
	if err := check(&in, calendar.DateOf(s.d.Now())); err != nil {
		return nil, 0, err
	}
	if !a.Has(auth.RoleSystem) {
		if err := s.d.Policy.Authorize(a, auth.ActAdminister, object(in.USCC, in.RegionCode)); err != nil {
			return nil, 0, err
		}
	}
	var out Outcome
	err := s.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		w, err := s.newWriter(ctx, tx, a.UserID, "api")
		if err != nil {
			return err
		}
		defer w.close()
		out, err = w.write(ctx, &in)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	e, err := s.Get(ctx, auth.System(), in.USCC)
	return e, out, err
}
