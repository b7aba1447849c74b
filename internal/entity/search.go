package entity

import (
	"context"
	"fmt"
	"strings"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// Search finds businesses by name (a part of it) or by code (a prefix of
// it, or the whole code), in the order of the name index: name, then code.
// after is the code of the last business of the previous page ("" for the
// first); it answers at most limit businesses and the bounded count of all
// that match. Anyone who may read every entry searches (staff); the
// public query of credit information searches as the system actor.
func (s *Service) Search(ctx context.Context, a *auth.Actor, q, after string, limit int) ([]Entity, int, error) {
	if a == nil || (!a.Has(auth.RoleSystem) && s.d.Policy.Authorize(a, auth.ActRead, object("", "")) != nil) {
		return nil, 0, auth.ErrForbidden
	}
	q = strings.TrimSpace(q)
	if q == "" {
		return []Entity{}, 0, nil
	}
	where, args := "name "+s.d.DB.Like()+" ?", []any{"%" + escapeLike(q) + "%"}
	if code := ids.NormalizeUSCC(q); len(code) >= 6 && isCodeLike(code) {
		where, args = "(uscc LIKE ? OR "+where+")", append([]any{escapeLike(code) + "%"}, args...)
	}
	count, err := store.CountUpTo(ctx, s.d.DB, "SELECT uscc FROM entities WHERE "+where, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("entity: search: %w", err)
	}
	page, pargs := where, append([]any{}, args...)
	if after != "" {
		page += " AND (name, uscc) > ((SELECT name FROM entities WHERE uscc = ?), ?)"
		pargs = append(pargs, ids.NormalizeUSCC(after), ids.NormalizeUSCC(after))
	}
	rows, err := s.d.DB.QueryContext(ctx, "SELECT "+cols+" FROM entities WHERE "+page+" ORDER BY name, uscc LIMIT ?",
		append(pargs, min(max(limit, 1), 200))...)
	if err != nil {
		return nil, 0, fmt.Errorf("entity: search: %w", err)
	}
	defer rows.Close()
	out := []Entity{}
	for rows.Next() {
		e, err := s.scan(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("entity: search: %w", err)
		}
		out = append(out, *e)
	}
	return out, count, rows.Err()
}

// isCodeLike reports whether q could be (the start of) a 统一社会信用代码:
// digits and capital letters only.
func isCodeLike(q string) bool {
	for _, r := range q {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// escapeLike makes q match literally in a LIKE pattern with the default
// escape-free syntax: the wildcards are dropped rather than escaped.
func escapeLike(q string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(q)
}
