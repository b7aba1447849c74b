package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// Outbox topics of the catalogue. The payload is an Event.
const (
	TopicPublished = "catalog.item.published"
	TopicWithdrawn = "catalog.item.withdrawn"
)

// Event is the payload of the catalogue's outbox events.
type Event struct {
	ItemID  int64  `json:"item_id"`
	Code    string `json:"code"`
	Version int    `json:"version"`
}

// prepare normalizes d and checks it for saving by a: the department must
// exist and lie within a's reach for act. It returns the department's region.
func (m *Module) prepare(ctx context.Context, a *auth.Actor, act auth.Action, d *Draft) (string, error) {
	normalize(d, "")
	var region string
	if d.DepartmentID > 0 {
		dept, err := m.department(ctx, d.DepartmentID)
		switch {
		case errors.Is(err, org.ErrNotFound):
			return "", &FieldError{Path: "department_id", Message: "主管部门不存在 (no such department)"}
		case err != nil:
			return "", fmt.Errorf("catalog: department %d: %w", d.DepartmentID, err)
		case !dept.Active:
			return "", &FieldError{Path: "department_id", Message: "主管部门已停用 (the department is inactive)"}
		}
		region = dept.RegionCode
		if err := m.d.Policy.Authorize(a, act, object(region, dept.ID)); err != nil {
			return "", err
		}
	}
	normalize(d, region)
	if err := check(d, region, false); err != nil {
		return "", err
	}
	if err := m.checkRule(ctx, d, false); err != nil {
		return "", err
	}
	for i, code := range d.ScopeRegions {
		if _, err := m.d.Org.GetRegion(ctx, code); err != nil {
			return "", &FieldError{Path: fmt.Sprintf("scope_regions[%d]", i), Message: "行政区划不存在 (no such region " + code + ")"}
		}
	}
	return region, nil
}

// Create stores d as a new draft item of its department. The caller must be
// an administrator of the department's region or one of its approvers.
func (m *Module) Create(ctx context.Context, a *auth.Actor, d Draft) (*Item, error) {
	region, err := m.prepare(ctx, a, auth.ActCreate, &d)
	if err != nil {
		return nil, err
	}
	if err := checkCodeLetters(&d); err != nil {
		return nil, err
	}
	if d.Rule != nil {
		d.Rule.Version = 1
	}
	now := m.stamp()
	row := &itemRow{RegionCode: region, Status: string(StatusDraft), Dirty: true, RowVersion: 1,
		CreatedAt: now, UpdatedAt: now, UpdatedBy: a.UserID}
	row.fill(&d)
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return fmt.Errorf("%w: code %s", ErrConflict, d.Code)
			}
			return fmt.Errorf("catalog: create %s: %w", d.Code, err)
		}
		if err := saveChildren(ctx, tx, row.ID, &d); err != nil {
			return err
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "catalog.create",
			ObjectType: ObjectKind, ObjectID: strconv.FormatInt(row.ID, 10), RegionCode: region,
			Detail: map[string]any{"code": d.Code, "name": d.Name}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.Working(ctx, a, row.ID)
}

// readable loads the row of item id and checks that a may read it; an item
// a may not read is reported as not found.
func (m *Module) readable(ctx context.Context, db bun.IDB, a *auth.Actor, id int64) (*itemRow, error) {
	r, err := loadRow(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActRead, object(r.RegionCode, r.DepartmentID)); err != nil {
		if errors.Is(err, auth.ErrUnauthenticated) {
			return nil, err
		}
		return nil, ErrNotFound
	}
	return r, nil
}

// Working returns the working copy of item id, with unpublished edits.
func (m *Module) Working(ctx context.Context, a *auth.Actor, id int64) (*Item, error) {
	if _, err := m.readable(ctx, m.d.DB, a, id); err != nil {
		return nil, err
	}
	it, err := loadWorking(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	it.DepartmentName = m.departmentName(ctx, it.DepartmentID)
	return it, nil
}

// WorkingByCode is Working for the item with code.
func (m *Module) WorkingByCode(ctx context.Context, a *auth.Actor, code string) (*Item, error) {
	id, err := m.idOf(ctx, code)
	if err != nil {
		return nil, err
	}
	return m.Working(ctx, a, id)
}

// idOf returns the id of the item with code.
func (m *Module) idOf(ctx context.Context, code string) (int64, error) {
	var id int64
	err := m.d.DB.NewSelect().Model((*itemRow)(nil)).Column("id").Where("code = ?", strings.ToUpper(strings.TrimSpace(code))).
		Order("id").Limit(1).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("catalog: look up %s: %w", code, err)
	}
	return id, nil
}

// Update replaces the working copy of item id with d. rowVersion is the
// RowVersion the caller read (0 skips the check); a stale one fails with
// ErrConflict. The code may change only while the item was never
// published. Changing the rule's expression raises its version. The public
// keep seeing the last published version until Publish.
//
// The working copy found and the new one are kept as revisions (kind
// RevisionKind, key the item id), so an edit can be undone.
func (m *Module) Update(ctx context.Context, a *auth.Actor, id int64, d Draft, rowVersion int64) (*Item, error) {
	return m.update(ctx, a, id, d, rowVersion, "", revision.ReasonSave, 0)
}

// update is Update refusing with revision.ErrStale when base is set and
// is not the hash of the stored working copy; reason and from say why the
// revision is recorded.
func (m *Module) update(ctx context.Context, a *auth.Actor, id int64, d Draft, rowVersion int64, base, reason string, from int64) (*Item, error) {
	old, err := m.readable(ctx, m.d.DB, a, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActAct, object(old.RegionCode, old.DepartmentID)); err != nil {
		return nil, err
	}
	region, err := m.prepare(ctx, a, auth.ActAct, &d)
	if err != nil {
		return nil, err
	}
	if old.Version > 0 && d.Code != old.Code {
		return nil, &FieldError{Path: "code", Message: "已发布过的事项不能修改编码 (the code of a published item cannot change)"}
	}
	if old.Version == 0 {
		if err := checkCodeLetters(&d); err != nil {
			return nil, err
		}
	}
	if d.Rule != nil {
		d.Rule.Version = max(old.RuleVersion, 1)
		if old.RuleExpr != "" && old.RuleExpr != d.Rule.Expr {
			d.Rule.Version = old.RuleVersion + 1
		}
	}
	if rowVersion == 0 {
		rowVersion = old.RowVersion
	}
	row := *old
	row.fill(&d)
	row.RegionCode, row.Dirty, row.RowVersion = region, true, rowVersion+1
	row.UpdatedAt, row.UpdatedBy = m.stamp(), a.UserID
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := m.revs.Replace(ctx, tx, revision.Replacement{Kind: RevisionKind, Key: strconv.FormatInt(id, 10),
			Base: base, Next: d,
			ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) {
				cur, err := loadWorking(ctx, tx, id)
				if err != nil {
					return nil, err
				}
				return cur.Draft, nil
			}, Size: len(d.Materials) + len(d.Fields), Actor: a, RegionCode: region,
			Reason: reason, RestoredFrom: from,
			Apply: func(ctx context.Context, tx store.IDB) error {
				res, err := tx.NewUpdate().Model(&row).WherePK().Where("row_version = ?", rowVersion).Exec(ctx)
				if err != nil {
					if store.IsUniqueViolation(err) {
						return fmt.Errorf("%w: code %s", ErrConflict, d.Code)
					}
					return fmt.Errorf("catalog: update %d: %w", id, err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return fmt.Errorf("%w: item %d changed since it was read", ErrConflict, id)
				}
				return saveChildren(ctx, tx, id, &d)
			}})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "catalog.update",
			ObjectType: ObjectKind, ObjectID: strconv.FormatInt(id, 10), RegionCode: region,
			Detail: map[string]any{"code": d.Code, "revision": rev.Seq, "reason": rev.Reason, "restored_from": from,
				"materials": len(d.Materials), "fields": len(d.Fields)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.Working(ctx, a, id)
}

// Validate reports what keeps item id from being published: nil when it
// could be published now, otherwise field errors.
func (m *Module) Validate(ctx context.Context, a *auth.Actor, id int64) error {
	it, err := m.Working(ctx, a, id)
	if err != nil {
		return err
	}
	if err := check(&it.Draft, it.RegionCode, true); err != nil {
		return err
	}
	return m.checkRule(ctx, &it.Draft, true)
}

// Publish freezes the working copy of item id as its next version, which
// the public then see. The version is never changed afterwards. rowVersion
// as in Update. Publishing an item with no unpublished edits fails with
// ErrState.
func (m *Module) Publish(ctx context.Context, a *auth.Actor, id int64, rowVersion int64) (*Item, error) {
	r, err := m.readable(ctx, m.d.DB, a, id)
	if err != nil {
		return nil, err
	}
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, object(r.RegionCode, r.DepartmentID)); err != nil {
		return nil, err
	}
	var snap *Item
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		it, err := loadWorking(ctx, tx, id)
		if err != nil {
			return err
		}
		if rowVersion != 0 && it.RowVersion != rowVersion {
			return fmt.Errorf("%w: item %d changed since it was read", ErrConflict, id)
		}
		if it.Status == StatusPublished && !it.Dirty {
			return fmt.Errorf("%w: %s has no unpublished changes", ErrState, it.Code)
		}
		if err := check(&it.Draft, it.RegionCode, true); err != nil {
			return err
		}
		if it.Version == 0 {
			if err := checkCodeLetters(&it.Draft); err != nil {
				return err
			}
		}
		if err := m.checkRule(ctx, &it.Draft, true); err != nil {
			return err
		}
		now := m.stamp()
		it.DepartmentName = m.departmentName(ctx, it.DepartmentID)
		it.Status, it.Version, it.PublishedAt, it.PublishedBy = StatusPublished, it.Version+1, now, a.Name
		it.Dirty, it.RowVersion, it.UpdatedAt, it.WithdrawReason = false, 0, time.Time{}, ""
		body, err := json.Marshal(it)
		if err != nil {
			return fmt.Errorf("catalog: snapshot %s: %w", it.Code, err)
		}
		v := &versionRow{ItemID: id, Version: it.Version, Code: it.Code, RegionCode: it.RegionCode, Name: it.Name,
			DepartmentID: it.DepartmentID, ItemType: string(it.Type), Online: it.Online, Instant: it.Instant(),
			CrossRegion: it.CrossRegion, SearchText: searchText(it), Snapshot: string(body),
			PublishedAt: now, PublishedBy: a.UserID, PublishedByName: a.Name}
		if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
			return fmt.Errorf("catalog: publish %s v%d: %w", it.Code, it.Version, err)
		}
		res, err := tx.NewUpdate().Model((*itemRow)(nil)).
			Set("status = ?", StatusPublished).Set("version = ?", it.Version).Set("dirty = ?", false).
			Set("withdraw_reason = ''").Set("row_version = row_version + 1").Set("updated_at = ?", now).Set("updated_by = ?", a.UserID).
			Where("id = ? AND row_version = ?", id, r.RowVersion).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: publish %s: %w", it.Code, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: item %d changed while publishing", ErrConflict, id)
		}
		if m.d.Search != nil {
			if err := m.d.Search.Put(ctx, tx, SearchKind, id, searchFields(it)...); err != nil {
				return fmt.Errorf("catalog: index %s: %w", it.Code, err)
			}
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "catalog.publish",
			ObjectType: ObjectKind, ObjectID: strconv.FormatInt(id, 10), RegionCode: it.RegionCode,
			Detail: map[string]any{"code": it.Code, "version": it.Version}}); err != nil {
			return err
		}
		snap = it
		return outbox.Add(ctx, tx, now, TopicPublished, Event{ItemID: id, Code: it.Code, Version: it.Version})
	})
	if err != nil {
		return nil, err
	}
	m.forgetPages()
	return snap, nil
}

// Withdraw stops offering item id: the public no longer find it, while its
// versions stay readable for the applications made under them. A reason is
// required and recorded.
func (m *Module) Withdraw(ctx context.Context, a *auth.Actor, id int64, reason string) error {
	r, err := m.readable(ctx, m.d.DB, a, id)
	if err != nil {
		return err
	}
	if err := m.d.Policy.Authorize(a, auth.ActAdminister, object(r.RegionCode, r.DepartmentID)); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	switch n := len([]rune(reason)); {
	case n == 0:
		return &FieldError{Path: "reason", Message: "请填写撤回原因 (a reason is required)"}
	case n > 500:
		return &FieldError{Path: "reason", Message: "撤回原因不能超过 500 个字 (at most 500 characters)"}
	}
	if Status(r.Status) != StatusPublished {
		return fmt.Errorf("%w: %s is %s", ErrState, r.Code, r.Status)
	}
	defer m.forgetPages()
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		now := m.stamp()
		res, err := tx.NewUpdate().Model((*itemRow)(nil)).
			Set("status = ?", StatusWithdrawn).Set("withdraw_reason = ?", reason).
			Set("row_version = row_version + 1").Set("updated_at = ?", now).Set("updated_by = ?", a.UserID).
			Where("id = ? AND status = ?", id, StatusPublished).Exec(ctx)
		if err != nil {
			return fmt.Errorf("catalog: withdraw %s: %w", r.Code, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("%w: %s changed while withdrawing", ErrConflict, r.Code)
		}
		if m.d.Search != nil {
			if err := m.d.Search.Delete(ctx, tx, SearchKind, id); err != nil {
				return fmt.Errorf("catalog: unindex %s: %w", r.Code, err)
			}
		}
		if _, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "catalog.withdraw",
			ObjectType: ObjectKind, ObjectID: strconv.FormatInt(id, 10), RegionCode: r.RegionCode,
			Detail: map[string]any{"code": r.Code, "version": r.Version, "reason": reason}}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, now, TopicWithdrawn, Event{ItemID: id, Code: r.Code, Version: r.Version})
	})
}

// PutFile checks a template or example file (PDF, JPEG, PNG, DOCX or XLSX
// of at most MaxFileSize, judged by content) and stores it by SHA-256,
// once per content. Only staff who may edit some item may upload.
func (m *Module) PutFile(ctx context.Context, a *auth.Actor, name string, data []byte) (*FileRef, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	if !a.HasAny(auth.RoleAdmin, auth.RoleApprover, auth.RoleSystem) {
		return nil, fmt.Errorf("catalog: upload: %w", auth.ErrForbidden)
	}
	if _, err := sniff(name, data); err != nil {
		return nil, err
	}
	var ref *FileRef
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		ref, err = putFile(ctx, tx, m.d.Now(), name, data)
		return err
	})
	return ref, err
}

// Published returns the current published version of the item with code,
// or ErrNotFound when there is none (never published, or withdrawn).
func (m *Module) Published(ctx context.Context, code string) (*Item, error) {
	var v versionRow
	err := m.d.DB.NewSelect().Model(&v).
		Join("JOIN catalog_items AS i ON i.id = v.item_id AND i.version = v.version").
		Where("i.code = ?", strings.ToUpper(strings.TrimSpace(code))).Where("i.status = ?", StatusPublished).
		Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: published %s: %w", code, err)
	}
	return v.item()
}

// Version returns version n of the item with code exactly as it was
// published, even after later edits or withdrawal. Applications use it to
// read the item they were made under.
func (m *Module) Version(ctx context.Context, code string, n int) (*Item, error) {
	var v versionRow
	err := m.d.DB.NewSelect().Model(&v).Where("code = ? AND version = ?", strings.ToUpper(strings.TrimSpace(code)), n).
		Order("id").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: %s v%d: %w", code, n, err)
	}
	return v.item()
}

// VersionInfo describes one published version in the history.
type VersionInfo struct {
	Version     int       `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}

// Versions lists the published versions of item id, newest first.
func (m *Module) Versions(ctx context.Context, a *auth.Actor, id int64) ([]VersionInfo, error) {
	if _, err := m.readable(ctx, m.d.DB, a, id); err != nil {
		return nil, err
	}
	var vs []versionRow
	if err := m.d.DB.NewSelect().Model(&vs).Column("version", "published_at", "published_by_name").
		Where("item_id = ?", id).Order("version DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("catalog: versions of %d: %w", id, err)
	}
	out := make([]VersionInfo, len(vs))
	for i, v := range vs {
		out[i] = VersionInfo{Version: v.Version, PublishedAt: v.PublishedAt, PublishedBy: v.PublishedByName}
	}
	return out, nil
}
