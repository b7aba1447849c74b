package knowledge

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/search"
	"github.com/yingshang/yingshang/internal/store"
)

// Events the module adds to the outbox, each with an EventPayload.
const (
	TopicPublished = "knowledge.published"
	TopicArchived  = "knowledge.archived"
)

// EventPayload is the body of the module's outbox events.
type EventPayload struct {
	ArticleID    int64  `json:"article_id"`
	Version      int    `json:"version"`
	CategoryCode string `json:"category_code"`
	DepartmentID int64  `json:"department_id"`
}

// Create saves d as a new draft owned by d.DepartmentID. The actor must be
// allowed to create articles for that department and region.
func (m *Module) Create(ctx context.Context, a *auth.Actor, d Draft) (*Article, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if _, err := m.clean(ctx, &d); err != nil {
		return nil, err
	}
	obj := auth.Object{Kind: ObjectKind, RegionCode: d.RegionCode, DepartmentIDs: []int64{d.DepartmentID}}
	if err := m.d.Policy.Authorize(a, auth.ActCreate, obj); err != nil {
		return nil, err
	}
	now := store.Time(m.d.Now())
	row := &articleRow{Status: StatusDraft, Rev: 1, Changed: true, CreatedBy: a.UserID, CreatedByName: a.Name,
		UpdatedBy: a.UserID, UpdatedByName: a.Name, CreatedAt: now, UpdatedAt: now}
	row.setDraft(&d)
	row.ValidFrom, row.ValidUntil = store.Time(d.ValidFrom), store.Time(d.ValidUntil)
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.NewInsert().Model(row).Returning("id").Exec(ctx); err != nil {
			return err
		}
		return m.audit(ctx, tx, a, "knowledge.create", row, map[string]any{"title": row.Title})
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: create: %w", err)
	}
	return m.withNames(ctx, row.article()), nil
}

// Get returns article id's working copy, or ErrNotFound when there is none
// the actor may read.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Article, error) {
	row, err := m.load(ctx, m.d.DB, id, a, auth.ActRead)
	if err != nil {
		return nil, err
	}
	return m.withNames(ctx, row.article()), nil
}

// Update replaces the working copy of article id with d. rev is the Rev the
// editor saw (0 skips the check); a different one is ErrConflict. Published
// versions do not change: the edits wait for Publish.
func (m *Module) Update(ctx context.Context, a *auth.Actor, id, rev int64, d Draft) (*Article, error) {
	if _, err := m.clean(ctx, &d); err != nil {
		return nil, err
	}
	var out *articleRow
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		row, err := m.load(ctx, tx, id, a, auth.ActAct)
		if err != nil {
			return err
		}
		// Moving an article to another department needs the right there too.
		obj := auth.Object{Kind: ObjectKind, RegionCode: d.RegionCode, DepartmentIDs: []int64{d.DepartmentID}}
		if err := m.d.Policy.Authorize(a, auth.ActAct, obj); err != nil {
			return err
		}
		if rev != 0 && rev != row.Rev {
			return ErrConflict
		}
		row.setDraft(&d)
		row.ValidFrom, row.ValidUntil = store.Time(d.ValidFrom), store.Time(d.ValidUntil)
		row.Changed = true
		if err := m.save(ctx, tx, row, a); err != nil {
			return err
		}
		out = row
		return m.audit(ctx, tx, a, "knowledge.update", row, map[string]any{"title": row.Title, "rev": row.Rev})
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: update %d: %w", id, err)
	}
	return m.withNames(ctx, out.article()), nil
}

// Publish snapshots the working copy of article id as its next version,
// which operators and the public then see, and indexes it for search. note
// says what changed. Publishing an article without unpublished changes is
// ErrState; publishing an archived article brings it back.
func (m *Module) Publish(ctx context.Context, a *auth.Actor, id, rev int64, note string) (*Version, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 500 {
		return nil, &FieldError{Path: "note", Message: "说明不超过 500 字 (at most 500 characters)"}
	}
	var v *versionRow
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		row, err := m.load(ctx, tx, id, a, auth.ActAdminister)
		if err != nil {
			return err
		}
		if rev != 0 && rev != row.Rev {
			return ErrConflict
		}
		if row.Status == StatusPublished && !row.Changed {
			return ErrState
		}
		now := store.Time(m.d.Now())
		v = &versionRow{ArticleID: row.ID, Version: row.Version + 1, Title: row.Title, Questions: row.Questions,
			Answer: row.Answer, CategoryCode: row.CategoryCode, DepartmentID: row.DepartmentID, RegionCode: row.RegionCode,
			ValidFrom: row.ValidFrom, ValidUntil: row.ValidUntil, Tags: row.Tags, Note: note,
			PublishedBy: a.UserID, PublishedByName: a.Name, PublishedAt: now}
		if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
			return err
		}
		row.Version, row.Status, row.Changed = v.Version, StatusPublished, false
		if err := m.save(ctx, tx, row, a); err != nil {
			return err
		}
		if err := m.index(ctx, tx, v.version()); err != nil {
			return err
		}
		if err := m.audit(ctx, tx, a, "knowledge.publish", row, map[string]any{"version": v.Version, "note": note}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, now, TopicPublished, EventPayload{ArticleID: row.ID, Version: v.Version,
			CategoryCode: row.CategoryCode, DepartmentID: row.DepartmentID})
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: publish %d: %w", id, err)
	}
	m.forgetPages()
	out := v.version()
	out.DepartmentName = m.departmentName(ctx, out.DepartmentID)
	return out, nil
}

// Archive withdraws article id: it is no longer suggested nor public, and
// its history stays. Archiving an archived article is ErrState.
func (m *Module) Archive(ctx context.Context, a *auth.Actor, id, rev int64) (*Article, error) {
	var out *articleRow
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		row, err := m.load(ctx, tx, id, a, auth.ActAdminister)
		if err != nil {
			return err
		}
		if rev != 0 && rev != row.Rev {
			return ErrConflict
		}
		if row.Status == StatusArchived {
			return ErrState
		}
		row.Status = StatusArchived
		if err := m.save(ctx, tx, row, a); err != nil {
			return err
		}
		if err := m.d.Search.Delete(ctx, tx, SearchKind, row.ID); err != nil {
			return err
		}
		if err := m.audit(ctx, tx, a, "knowledge.archive", row, map[string]any{"version": row.Version}); err != nil {
			return err
		}
		out = row
		return outbox.Add(ctx, tx, m.d.Now(), TopicArchived, EventPayload{ArticleID: row.ID, Version: row.Version,
			CategoryCode: row.CategoryCode, DepartmentID: row.DepartmentID})
	})
	if err != nil {
		return nil, fmt.Errorf("knowledge: archive %d: %w", id, err)
	}
	m.forgetPages()
	return m.withNames(ctx, out.article()), nil
}

// Versions lists the published versions of article id, newest first.
func (m *Module) Versions(ctx context.Context, a *auth.Actor, id int64) ([]*Version, error) {
	if _, err := m.load(ctx, m.d.DB, id, a, auth.ActRead); err != nil {
		return nil, err
	}
	var rows []versionRow
	if err := m.d.DB.NewSelect().Model(&rows).Where("article_id = ?", id).Order("version DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("knowledge: versions of %d: %w", id, err)
	}
	out := make([]*Version, len(rows))
	for i := range rows {
		out[i] = rows[i].version()
		out[i].DepartmentName = m.departmentName(ctx, out[i].DepartmentID)
	}
	return out, nil
}

// VersionDiff is one version with what changed since the one before.
type VersionDiff struct {
	Version  *Version `json:"version"`
	Previous int      `json:"previous,omitempty" doc:"Number of the version compared with; 0 for the first"`
	Changes  []Change `json:"changes"`
	// Answer is the answer's paragraphs, each kept, added or removed.
	Answer []Line `json:"answer"`
}

// VersionWithDiff returns version n of article id and its differences from
// version n-1.
func (m *Module) VersionWithDiff(ctx context.Context, a *auth.Actor, id int64, n int) (*VersionDiff, error) {
	if _, err := m.load(ctx, m.d.DB, id, a, auth.ActRead); err != nil {
		return nil, err
	}
	cur, err := m.version(ctx, id, n)
	if err != nil {
		return nil, err
	}
	prev := &Version{}
	if n > 1 {
		if prev, err = m.version(ctx, id, n-1); err != nil {
			return nil, err
		}
	}
	cur.DepartmentName = m.departmentName(ctx, cur.DepartmentID)
	if prev.DepartmentID != 0 {
		prev.DepartmentName = m.departmentName(ctx, prev.DepartmentID)
	}
	return &VersionDiff{Version: cur, Previous: prev.Version, Changes: Compare(prev, cur),
		Answer: DiffLines(paragraphs(prev.Answer), paragraphs(cur.Answer))}, nil
}

func (m *Module) version(ctx context.Context, id int64, n int) (*Version, error) {
	var row versionRow
	err := m.d.DB.NewSelect().Model(&row).Where("article_id = ? AND version = ?", id, n).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("knowledge: version %d of %d: %w", n, id, err)
	}
	return row.version(), nil
}

// RecordUse notes, in tx, that an operator answered a caller with article
// articleID while taking in order orderRef: it counts towards the article's
// uses and is kept with the version that was shown. The actor is taken
// from ctx (the system when there is none). Only a published, valid
// article can be used (ErrNotFound otherwise).
func (m *Module) RecordUse(ctx context.Context, tx store.IDB, articleID int64, orderRef string) error {
	orderRef = strings.TrimSpace(orderRef)
	if orderRef == "" || utf8.RuneCountInString(orderRef) > 64 {
		return &FieldError{Path: "order_ref", Message: "工单编号应为 1–64 个字符 (order reference must be 1–64 characters)"}
	}
	now := store.Time(m.d.Now())
	var version int
	err := tx.NewRaw("SELECT a.version FROM kb_articles AS a WHERE a.id = ? AND a.id IN (?)",
		articleID, m.validIDs(tx, now)).Scan(ctx, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("knowledge: record use of %d: %w", articleID, err)
	}
	var actorID int64
	if a := auth.FromContext(ctx); a != nil {
		actorID = a.UserID
	}
	if _, err := tx.NewRaw("INSERT INTO kb_uses (article_id, version, order_ref, actor_id, used_at) VALUES (?, ?, ?, ?, ?)",
		articleID, version, orderRef, actorID, now).Exec(ctx); err != nil {
		return fmt.Errorf("knowledge: record use of %d: %w", articleID, err)
	}
	if _, err := tx.NewRaw("UPDATE kb_articles SET uses = uses + 1 WHERE id = ?", articleID).Exec(ctx); err != nil {
		return fmt.Errorf("knowledge: record use of %d: %w", articleID, err)
	}
	return nil
}

// load reads article id for a and checks that a may take act on it. An
// article a may not even read is ErrNotFound, so its existence is not
// disclosed; one a may read but not act on is auth.ErrForbidden.
func (m *Module) load(ctx context.Context, db store.IDB, id int64, a *auth.Actor, act auth.Action) (*articleRow, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	row := new(articleRow)
	err := db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("knowledge: load %d: %w", id, err)
	}
	obj := row.article().Object()
	if m.d.Policy.Authorize(a, auth.ActRead, obj) != nil {
		return nil, ErrNotFound
	}
	if act != auth.ActRead {
		if err := m.d.Policy.Authorize(a, act, obj); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// save writes row's working copy back with the next rev, failing with
// ErrConflict if someone else saved in between.
func (m *Module) save(ctx context.Context, tx store.IDB, row *articleRow, a *auth.Actor) error {
	old := row.Rev
	row.Rev++
	row.UpdatedBy, row.UpdatedByName, row.UpdatedAt = a.UserID, a.Name, store.Time(m.d.Now())
	res, err := tx.NewUpdate().Model(row).
		Column("title", "questions", "answer", "category_code", "department_id", "region_code", "valid_from",
			"valid_until", "tags", "status", "version", "rev", "changed", "updated_by", "updated_by_name", "updated_at").
		Where("id = ? AND rev = ?", row.ID, old).Exec(ctx)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrConflict
	}
	return nil
}

// index puts the published version v into the search index. Titles and
// the callers' phrasings weigh most: they are what a caller says.
func (m *Module) index(ctx context.Context, tx store.IDB, v *Version) error {
	return m.d.Search.Put(ctx, tx, SearchKind, v.ArticleID,
		search.Field{Text: v.Title, Weight: 5},
		search.Field{Text: strings.Join(v.Questions, "\n"), Weight: 4},
		search.Field{Text: strings.Join(v.Tags, " "), Weight: 3},
		search.Field{Text: CategoryName(v.CategoryCode), Weight: 2},
		search.Field{Text: v.Answer, Weight: 1})
}

func (m *Module) audit(ctx context.Context, tx store.IDB, a *auth.Actor, action string, row *articleRow, detail any) error {
	_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: action,
		ObjectType: ObjectKind, ObjectID: strconv.FormatInt(row.ID, 10), RegionCode: row.RegionCode, Detail: detail})
	return err
}

func (m *Module) withNames(ctx context.Context, a *Article) *Article {
	a.DepartmentName = m.departmentName(ctx, a.DepartmentID)
	return a
}

// validIDs selects the ids of the articles the public and operators see at
// now: published, and valid by their latest version's dates.
func (m *Module) validIDs(db store.IDB, now time.Time) *bun.SelectQuery {
	now = store.Time(now)
	return db.NewSelect().TableExpr("kb_articles AS pa").Column("pa.id").
		Join("JOIN kb_versions AS pv ON pv.article_id = pa.id AND pv.version = pa.version").
		Where("pa.status = ?", StatusPublished).
		Where("(pv.valid_from IS NULL OR pv.valid_from <= ?)", now).
		Where("(pv.valid_until IS NULL OR pv.valid_until > ?)", now)
}
