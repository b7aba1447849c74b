package hotline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/revision"
	"github.com/yingshang/yingshang/internal/store"
)

// DirectoryEntry is one line of the dispatch directory (派单目录): orders of
// a category in a region go to a department. A line for a category also
// covers its sub-categories, and a line for a city its districts, unless a
// more specific line says otherwise.
type DirectoryEntry struct {
	ID             int64  `json:"id"`
	CategoryCode   string `json:"category_code"`
	RegionCode     string `json:"region_code"`
	DepartmentID   int64  `json:"department_id"`
	DepartmentName string `json:"department_name,omitempty"`
	Note           string `json:"note,omitempty"`
}

type dirKey struct{ cat, region string }

// directoryTTL is how long a node trusts its cached directory and
// similarity index before reading them again, so an edit made on another
// node is seen within that time.
const (
	directoryTTL = time.Minute
	indexTTL     = 10 * time.Minute
	indexDays    = 180
	indexMax     = 20000
)

// Directory lists the dispatch directory, by category then region.
func (m *Module) Directory(ctx context.Context) ([]DirectoryEntry, error) {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id, category_code, region_code, department_id, note
		FROM hotline_directory ORDER BY category_code, region_code`)
	if err != nil {
		return nil, fmt.Errorf("hotline: directory: %w", err)
	}
	defer rows.Close()
	var out []DirectoryEntry
	for rows.Next() {
		var e DirectoryEntry
		if err := rows.Scan(&e.ID, &e.CategoryCode, &e.RegionCode, &e.DepartmentID, &e.Note); err != nil {
			return nil, fmt.Errorf("hotline: directory: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hotline: directory: %w", err)
	}
	for i := range out {
		out[i].DepartmentName = m.departmentName(ctx, out[i].DepartmentID)
	}
	return out, nil
}

// SaveDirectoryEntry adds the line for (category, region) or changes its
// department (dispatchers and administrators of the region).
func (m *Module) SaveDirectoryEntry(ctx context.Context, a *auth.Actor, e DirectoryEntry) error {
	e.CategoryCode, e.RegionCode, e.Note = strings.TrimSpace(e.CategoryCode), strings.TrimSpace(e.RegionCode), strings.TrimSpace(e.Note)
	var p problems
	if _, ok := m.Category(e.CategoryCode); !ok {
		p.add("category_code", "诉求分类不存在 (unknown category)")
	}
	if ids.ValidateRegionCode(e.RegionCode) != nil {
		p.add("region_code", "行政区划代码须为6位数字 (region code must be 6 digits)")
	}
	if d, err := m.d.Org.GetDepartment(ctx, e.DepartmentID); err != nil || !d.Active {
		p.add("department_id", "承办部门不存在或已停用 (unknown or inactive department)")
	}
	if len([]rune(e.Note)) > 200 {
		p.add("note", "备注不超过200字 (note too long)")
	}
	if err := p.err(); err != nil {
		return err
	}
	if !a.HasAny(auth.RoleDispatcher, auth.RoleAdmin, auth.RoleSystem) ||
		m.d.Policy.Authorize(a, auth.ActAct, auth.Object{Kind: Kind, RegionCode: e.RegionCode}) != nil {
		return fmt.Errorf("hotline: directory: %w", auth.ErrForbidden)
	}
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := m.replaceDirectory(ctx, tx, a, e.RegionCode, func(ctx context.Context, tx store.IDB) error {
			now := store.Time(m.d.Now())
			_, err := store.Exec(ctx, tx, `INSERT INTO hotline_directory (category_code, region_code, department_id, note, updated_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (category_code, region_code) DO UPDATE SET
				department_id = excluded.department_id, note = excluded.note, updated_at = excluded.updated_at`,
				e.CategoryCode, e.RegionCode, e.DepartmentID, e.Note, now)
			return err
		})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.directory_save",
			ObjectType: "hotline_directory", ObjectID: e.CategoryCode + "@" + e.RegionCode, RegionCode: e.RegionCode,
			Detail: map[string]any{"entry": e, "revision": rev.Seq}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: save directory entry: %w", err)
	}
	m.mu.Lock()
	m.dirAt = time.Time{} // reload on next use
	m.mu.Unlock()
	return nil
}

// DeleteDirectoryEntry removes line id.
func (m *Module) DeleteDirectoryEntry(ctx context.Context, a *auth.Actor, id int64) error {
	var region string
	err := m.d.DB.QueryRowContext(ctx, "SELECT region_code FROM hotline_directory WHERE id = ?", id).Scan(&region)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("hotline: delete directory entry: %w", err)
	}
	if !a.HasAny(auth.RoleDispatcher, auth.RoleAdmin, auth.RoleSystem) ||
		m.d.Policy.Authorize(a, auth.ActAct, auth.Object{Kind: Kind, RegionCode: region}) != nil {
		return ErrNotFound
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		rev, err := m.replaceDirectory(ctx, tx, a, region, func(ctx context.Context, tx store.IDB) error {
			_, err := store.Exec(ctx, tx, "DELETE FROM hotline_directory WHERE id = ?", id)
			return err
		})
		if err != nil {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.directory_delete",
			ObjectType: "hotline_directory", ObjectID: fmt.Sprint(id), RegionCode: region,
			Detail: map[string]any{"revision": rev.Seq}})
		return err
	})
	if err != nil {
		return fmt.Errorf("hotline: delete directory entry: %w", err)
	}
	m.mu.Lock()
	m.dirAt = time.Time{}
	m.mu.Unlock()
	return nil
}

// replaceDirectory runs apply, a change to the lines of region, in tx,
// keeping the lines before and after as revisions.
func (m *Module) replaceDirectory(ctx context.Context, tx store.IDB, a *auth.Actor, region string,
	apply func(ctx context.Context, tx store.IDB) error) (revision.Revision, error) {
	return m.revs.Replace(ctx, tx, revision.Replacement{
		ReadCurrent: func(ctx context.Context, tx store.IDB) (any, error) { return readDirectory(ctx, tx, region) }, Kind: RevisionDirectory, Key: region, Actor: a,
		RegionCode: region, Apply: apply,
		Read: func(ctx context.Context, tx store.IDB) (any, error) {
			lines, err := readDirectory(ctx, tx, region)
			return lines, err
		}})
}

// directory returns the cached directory, reading it again when stale.
func (m *Module) directory(ctx context.Context) (map[dirKey]int64, error) {
	now := m.d.Now()
	m.mu.RLock()
	dir, at := m.dir, m.dirAt
	m.mu.RUnlock()
	if dir != nil && now.Sub(at) < directoryTTL && !at.IsZero() {
		return dir, nil
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT category_code, region_code, department_id FROM hotline_directory")
	if err != nil {
		return nil, fmt.Errorf("hotline: directory: %w", err)
	}
	defer rows.Close()
	dir = map[dirKey]int64{}
	for rows.Next() {
		var k dirKey
		var dept int64
		if err := rows.Scan(&k.cat, &k.region, &dept); err != nil {
			return nil, fmt.Errorf("hotline: directory: %w", err)
		}
		dir[k] = dept
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hotline: directory: %w", err)
	}
	m.mu.Lock()
	m.dir, m.dirAt = dir, now
	m.mu.Unlock()
	return dir, nil
}

// lookup finds the most specific directory line for a category and a
// region: the category itself before its parents, and at each, the region
// before the regions containing it.
func lookup(dir map[dirKey]int64, cat, region string) (dirKey, int64, bool) {
	var regions []string
	if ids.ValidateRegionCode(region) == nil {
		regions = append(regions, region)
		if !strings.HasSuffix(region, "00") {
			regions = append(regions, region[:4]+"00")
		}
		if !strings.HasSuffix(region, "0000") {
			regions = append(regions, region[:2]+"0000")
		}
	}
	for c := cat; c != ""; c = parentOf(c) {
		for _, r := range regions {
			if d, ok := dir[dirKey{c, r}]; ok {
				return dirKey{c, r}, d, true
			}
		}
	}
	return dirKey{}, 0, false
}

// Suggestion is a department the order probably belongs to, and why.
type Suggestion struct {
	DepartmentID   int64   `json:"department_id"`
	DepartmentName string  `json:"department_name"`
	Source         string  `json:"source" enum:"directory,history" doc:"directory: a dispatch-directory line; history: similar past orders"`
	Score          float64 `json:"score" doc:"1 for a directory hit; summed similarity of the nearest past orders otherwise"`
	Reason         string  `json:"reason"`
}

// simK and simMin tune the history vote: the 15 nearest past orders with a
// similarity of at least 0.08.
const (
	simK   = 15
	simMin = 0.08
)

// Suggest returns up to three departments for an order of category in
// region with text: the directory's line first, then the departments that
// finally handled the most similar past orders.
func (m *Module) Suggest(ctx context.Context, category, region, text string) ([]Suggestion, error) {
	dir, err := m.directory(ctx)
	if err != nil {
		return nil, err
	}
	ix, err := m.index(ctx)
	if err != nil {
		return nil, err
	}
	out := suggest(dir, ix, category, region, bigrams(text), m.CategoryPath)
	for i := range out {
		out[i].DepartmentName = m.departmentName(ctx, out[i].DepartmentID)
	}
	return out, nil
}

// suggest is Suggest on given data, for the service and the accuracy test.
func suggest(dir map[dirKey]int64, ix *simIndex, category, region string, grams []uint64, path func(string) string) []Suggestion {
	var out []Suggestion
	seen := map[int64]bool{}
	if k, dept, ok := lookup(dir, category, region); ok {
		out = append(out, Suggestion{DepartmentID: dept, Source: "directory", Score: 1,
			Reason: fmt.Sprintf("派单目录：%s · %s", path(k.cat), k.region)})
		seen[dept] = true
	}
	for _, v := range vote(ix.nearest(grams, simK, simMin)) {
		if len(out) == 3 {
			break
		}
		if seen[v.dept] {
			continue
		}
		seen[v.dept] = true
		out = append(out, Suggestion{DepartmentID: v.dept, Source: "history", Score: v.score,
			Reason: fmt.Sprintf("相似历史工单 %d 件由该部门办理，最相近 %s（相似度 %.2f）", v.n, v.best.doc.number, v.best.score)})
	}
	return out
}

// index returns the similarity index of recent handled orders, rebuilding
// it when stale.
func (m *Module) index(ctx context.Context) (*simIndex, error) {
	now := m.d.Now()
	m.mu.RLock()
	ix, at := m.ix, m.ixAt
	m.mu.RUnlock()
	if ix != nil && now.Sub(at) < indexTTL {
		return ix, nil
	}
	if ix != nil {
		// Stale: answer from it and rebuild beside the requests. Rebuilt
		// in the request, at a year of a city's data the read of 20,000
		// orders outlasted the request's deadline under load; every
		// request waited for it, and the JSON intake answered 503 for as
		// long as the rebuild kept being cancelled.
		if m.ixBuild.TryLock() {
			go func() {
				defer m.ixBuild.Unlock()
				// A failed rebuild keeps the stale index; the next
				// suggestion tries again.
				_ = m.buildIndex(context.WithoutCancel(ctx), now)
			}()
		}
		return ix, nil
	}
	m.ixBuild.Lock() // the first build: the others wait for it
	defer m.ixBuild.Unlock()
	m.mu.RLock()
	ix = m.ix
	m.mu.RUnlock()
	if ix != nil {
		return ix, nil
	}
	// Not cancelled with the request that happens to build it: the
	// requests waiting for it need it all the same.
	if err := m.buildIndex(context.WithoutCancel(ctx), now); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.ix, nil
}

// buildIndex reads the handled orders of the last indexDays (at most
// indexMax, the newest) into a new similarity index, as of now.
func (m *Module) buildIndex(ctx context.Context, now time.Time) error {
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id, number, lead_department_id, title, content FROM hotline_orders
		WHERE lead_department_id <> 0 AND status IN ('replied', 'closed', 'visited') AND created_at >= ?
		ORDER BY id DESC LIMIT ?`, store.Time(now.AddDate(0, 0, -indexDays)), indexMax)
	if err != nil {
		return fmt.Errorf("hotline: similarity index: %w", err)
	}
	defer rows.Close()
	var docs []simDoc
	for rows.Next() {
		var d simDoc
		var title, content string
		if err := rows.Scan(&d.id, &d.number, &d.dept, &title, &content); err != nil {
			return fmt.Errorf("hotline: similarity index: %w", err)
		}
		d.grams = bigrams(title + " " + content)
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hotline: similarity index: %w", err)
	}
	ix := newSimIndex(docs)
	m.mu.Lock()
	m.ix, m.ixAt = ix, now
	m.mu.Unlock()
	return nil
}

// ForgetDirectory makes the next suggestion read the dispatch directory
// again. The platform calls it when another node changes the directory
// (package cluster); this node's own edits drop it themselves.
func (m *Module) ForgetDirectory() {
	m.mu.Lock()
	m.dirAt = time.Time{}
	m.mu.Unlock()
}

// RefreshIndex drops the cached similarity index so the next suggestion
// reads the handled orders again (after a bulk load, for instance).
func (m *Module) RefreshIndex() {
	m.mu.Lock()
	m.ix = nil
	m.mu.Unlock()
}
