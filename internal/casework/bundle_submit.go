package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// BundleMaterialInput says how the applicant provides one entry of a
// bundle's merged materials (by its Key): a file, consent to the use of a
// held certificate for a shared entry, or a 容缺 promise.
type BundleMaterialInput struct {
	Key           string  `json:"key" maxLength:"240"`
	File          *Upload `json:"file,omitempty"`
	CertificateID int64   `json:"certificate_id,omitempty"`
	Consent       bool    `json:"consent,omitempty"`
	Shortfall     bool    `json:"shortfall,omitempty"`
}

// BundleInput is a bundle application as made: one form (the merged
// fields, by key) and one set of materials.
type BundleInput struct {
	BundleCode      string                `json:"bundle_code" maxLength:"40"`
	Applicant       *ApplicantInput       `json:"applicant,omitempty" doc:"Required when a window clerk applies on someone's behalf"`
	EnterpriseName  string                `json:"enterprise_name,omitempty" maxLength:"100"`
	Form            map[string]string     `json:"form"`
	Materials       []BundleMaterialInput `json:"materials"`
	ShortfallDue    string                `json:"shortfall_due,omitempty"`
	Delivery        Delivery              `json:"delivery,omitempty" enum:"online,window,post,"`
	DeliveryAddress string                `json:"delivery_address,omitempty" maxLength:"300"`
}

// BundleApplication is one bundle application and the applications it was
// split into.
type BundleApplication struct {
	ID              int64         `json:"id"`
	Number          string        `json:"number"`
	BundleCode      string        `json:"bundle_code"`
	BundleName      string        `json:"bundle_name"`
	ApplicantKind   ApplicantKind `json:"applicant_kind"`
	ApplicantUserID int64         `json:"applicant_user_id,omitempty"`
	ApplicantName   string        `json:"applicant_name"`
	ApplicantUSCC   string        `json:"applicant_uscc,omitempty"`
	AgentUserID     int64         `json:"agent_user_id,omitempty"`
	IntakeRegion    string        `json:"intake_region"`
	MaterialsMerged int           `json:"materials_merged" doc:"Materials asked for once"`
	MaterialsTotal  int           `json:"materials_total" doc:"Materials of all the items together"`
	SubmittedAt     time.Time     `json:"submitted_at"`
	// Children are the applications, in the bundle's item order.
	Children []Application `json:"children"`
}

// Done reports whether every application of the bundle is finished: the
// bundle's one result is given then.
func (b *BundleApplication) Done() bool {
	for _, c := range b.Children {
		if !c.Status.Finished() {
			return false
		}
	}
	return len(b.Children) > 0
}

// FinishedAt returns when the last application finished, zero while any
// is open.
func (b *BundleApplication) FinishedAt() time.Time {
	var last time.Time
	for _, c := range b.Children {
		if !c.Status.Finished() {
			return time.Time{}
		}
		if c.FinishedAt.After(last) {
			last = c.FinishedAt
		}
	}
	return last
}

// Saved returns how many materials the applicant was spared by merging.
func (b *BundleApplication) Saved() int { return b.MaterialsTotal - b.MaterialsMerged }

// Approved counts the approved applications.
func (b *BundleApplication) Approved() int {
	n := 0
	for _, c := range b.Children {
		if c.Status == StatusApproved {
			n++
		}
	}
	return n
}

func (b *BundleApplication) object() auth.Object {
	o := auth.Object{Kind: BundleApplicationKind, RegionCode: b.IntakeRegion, OwnerUserID: b.ApplicantUserID,
		OwnerUSCC: b.ApplicantUSCC}
	for _, c := range b.Children {
		o.DepartmentIDs = append(o.DepartmentIDs, c.DepartmentID)
	}
	return o
}

// BundleEvent is the payload of TopicBundleSubmitted.
type BundleEvent struct {
	ID           int64   `json:"id"`
	Number       string  `json:"number"`
	Bundle       string  `json:"bundle"`
	Applications []int64 `json:"applications"`
}

// childInput returns the application for item it that in makes: the
// merged form's values of the item's own fields, and for each of its
// materials what was given for the merged entry.
func childInput(it *catalog.Item, mg *Merged, in *BundleInput, given map[string]*BundleMaterialInput) SubmitInput {
	out := SubmitInput{ItemCode: it.Code, Applicant: in.Applicant, EnterpriseName: in.EnterpriseName,
		Form: map[string]string{}, ShortfallDue: in.ShortfallDue, Delivery: in.Delivery, DeliveryAddress: in.DeliveryAddress}
	for _, f := range it.Fields {
		if v, ok := in.Form[f.Key]; ok {
			out.Form[f.Key] = v
		}
	}
	for _, mt := range it.Materials {
		mi := MaterialInput{Name: mt.Name}
		if pm, ok := mg.produced(it, mt); ok {
			mi.producedBy = pm.By
		} else if _, mm := mg.material(mt); mm != nil {
			if g := given[mm.Key]; g != nil {
				switch {
				case g.File != nil && len(g.File.Data) > 0:
					mi.File = g.File
				case mt.Class == catalog.ClassShared:
					mi.Consent, mi.CertificateID = g.Consent, g.CertificateID
				case g.Shortfall && mt.Class == catalog.ClassShortfall:
					mi.Shortfall = true
				case g.Shortfall && mt.Class != catalog.ClassOptional:
					// Promised where the item does not allow it: let the
					// item's check say so.
					mi.Shortfall = true
				}
			}
		}
		out.Materials = append(out.Materials, mi)
	}
	return out
}

// mapChildProblems rewrites the problems of one item's application in
// terms of the bundle's merged form and materials.
func mapChildProblems(it *catalog.Item, mg *Merged, err error, seen map[string]bool, p *problems) {
	for _, fe := range FieldErrors(err) {
		path, msg := fe.Path, fe.Message
		var i int
		if _, e := fmt.Sscanf(path, "materials[%d]", &i); e == nil && i >= 0 && i < len(it.Materials) {
			if j, _ := mg.material(it.Materials[i]); j >= 0 {
				path = fmt.Sprintf("materials[%d]", j)
			}
		}
		if path == "item_code" {
			path, msg = "items", it.Name+"："+msg
		}
		if seen[path+"\x00"+msg] {
			continue
		}
		seen[path+"\x00"+msg] = true
		*p = append(*p, &FieldError{Path: path, Message: msg})
	}
}

// SubmitBundle applies for the published bundle in.BundleCode as actor a
// (a citizen or enterprise for themselves, a window clerk on the
// applicant's behalf): one form and one set of materials become one
// application per item, each to its own department.
//
// It is all or nothing. Every item's application is checked first (the
// same checks Submit makes, writing nothing), and every problem of every
// item is reported at once in terms of the merged form (*FieldError,
// matching ErrInvalid). Only when all pass are they written, with the
// bundle record, in ONE transaction: an error while writing any of them
// (or an instant approval's certificate) rolls back all of them, so there
// is never half a bundle. Submit itself cannot be used for this, as it
// commits each application in its own transaction; SubmitBundle uses the
// same two halves Submit is made of (prepare, then write).
func (m *Module) SubmitBundle(ctx context.Context, a *auth.Actor, in BundleInput) (*BundleApplication, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	b, mg, err := m.BundleGuide(ctx, strings.TrimSpace(in.BundleCode))
	if err != nil {
		return nil, err
	}
	var p problems
	given := map[string]*BundleMaterialInput{}
	for i := range in.Materials {
		g := &in.Materials[i]
		if !slices.ContainsFunc(mg.Materials, func(mm MergedMaterial) bool { return mm.Key == g.Key }) {
			p.Add(fmt.Sprintf("materials[%d]", i), "一件事没有此材料 (no such material)")
			continue
		}
		given[g.Key] = g
	}
	for k := range in.Form {
		if !slices.ContainsFunc(mg.Fields, func(f MergedField) bool { return f.Key == k }) {
			p.Add("form."+k, "表单没有此项 (no such field)")
		}
	}
	for _, it := range mg.Items {
		if err := m.ensureDefinition(ctx, limitsOf(it)); err != nil {
			return nil, err
		}
	}
	subs := make([]*submission, len(mg.Items))
	seen := map[string]bool{}
	for i, it := range mg.Items {
		child := childInput(it, mg, &in, given)
		sub, err := m.prepare(ctx, a, it, &child)
		if len(FieldErrors(err)) > 0 {
			mapChildProblems(it, mg, err, seen, &p)
			continue
		}
		if err != nil {
			return nil, err
		}
		subs[i] = sub
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	// A material the bundle produces is in hand once the item producing it
	// is approved at once in this same submission: the dependent item's
	// rule may then decide too (never before its producer is decided).
	for i, sub := range subs {
		if sub.instant != nil || !slices.ContainsFunc(sub.materials, func(pm plannedMaterial) bool { return pm.Provision == ProvideBundle }) {
			continue
		}
		ready := true
		for _, pm := range sub.materials {
			if pm.Provision != ProvideBundle {
				continue
			}
			j := slices.IndexFunc(mg.Items, func(it *catalog.Item) bool { return it.CertificateType == pm.CertificateType })
			ready = ready && j >= 0 && j < i && subs[j].instant != nil
		}
		if ready {
			sub.bundleHeld = true
			if err := m.tryRule(ctx, mg.Items[i], sub); err != nil {
				return nil, err
			}
		}
	}
	first := subs[0].app
	ba := &BundleApplication{BundleCode: b.Code, BundleName: b.Name, ApplicantKind: first.ApplicantKind,
		ApplicantUserID: first.ApplicantUserID, ApplicantName: first.ApplicantName, ApplicantUSCC: first.ApplicantUSCC,
		AgentUserID: first.AgentUserID, IntakeRegion: first.IntakeRegion, MaterialsMerged: len(mg.Materials),
		MaterialsTotal: mg.Total, SubmittedAt: m.now()}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		for i, sub := range subs {
			if err := m.write(ctx, tx, a, mg.Items[i], sub); err != nil {
				return fmt.Errorf("casework: bundle %s: %s: %w", b.Code, mg.Items[i].Code, err)
			}
			ba.Children = append(ba.Children, *sub.app)
		}
		if m.d.Policy.Authorize(a, auth.ActRead, ba.object()) != nil {
			return ErrForbidden
		}
		var err error
		if ba.Number, err = nextNumber(ctx, tx, "YJS"+ba.IntakeRegion, ba.SubmittedAt); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO casework_bundle_applications (number, bundle_code, bundle_name,
			applicant_kind, applicant_user_id, applicant_name, applicant_uscc, agent_user_id, intake_region,
			materials_merged, materials_total, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			ba.Number, ba.BundleCode, ba.BundleName, ba.ApplicantKind, ba.ApplicantUserID, ba.ApplicantName,
			ba.ApplicantUSCC, ba.AgentUserID, ba.IntakeRegion, ba.MaterialsMerged, ba.MaterialsTotal,
			ba.SubmittedAt).Scan(&ba.ID); err != nil {
			return fmt.Errorf("casework: bundle application: %w", err)
		}
		ev := BundleEvent{ID: ba.ID, Number: ba.Number, Bundle: ba.BundleCode}
		for i, c := range ba.Children {
			if _, err := tx.ExecContext(ctx, `INSERT INTO casework_bundle_children (bundle_application_id, position,
				application_id) VALUES (?, ?, ?)`, ba.ID, i, c.ID); err != nil {
				return fmt.Errorf("casework: bundle application: %w", err)
			}
			ev.Applications = append(ev.Applications, c.ID)
		}
		if _, err := m.d.Audit.Append(ctx, tx, auditEntry(a, "casework.bundle_submit", "casework_bundle_application",
			ba.ID, ba.IntakeRegion, map[string]any{"number": ba.Number, "bundle": ba.BundleCode,
				"applications": ev.Applications, "materials_merged": ba.MaterialsMerged,
				"materials_total": ba.MaterialsTotal})); err != nil {
			return fmt.Errorf("casework: bundle application: %w", err)
		}
		return outbox.Add(ctx, tx, ba.SubmittedAt, TopicBundleSubmitted, ev)
	})
	if err != nil {
		return nil, err
	}
	return ba, nil
}

const bundleAppCols = `id, number, bundle_code, bundle_name, applicant_kind, applicant_user_id, applicant_name,
	applicant_uscc, agent_user_id, intake_region, materials_merged, materials_total, submitted_at`

func scanBundleApp(r scanner) (*BundleApplication, error) {
	var b BundleApplication
	if err := r.Scan(&b.ID, &b.Number, &b.BundleCode, &b.BundleName, &b.ApplicantKind, &b.ApplicantUserID,
		&b.ApplicantName, &b.ApplicantUSCC, &b.AgentUserID, &b.IntakeRegion, &b.MaterialsMerged, &b.MaterialsTotal,
		&b.SubmittedAt); err != nil {
		return nil, err
	}
	b.SubmittedAt = b.SubmittedAt.UTC()
	return &b, nil
}

// loadChildren reads the applications of bundle application b in order.
func (m *Module) loadChildren(ctx context.Context, db store.IDB, b *BundleApplication) error {
	rows, err := db.QueryContext(ctx, `SELECT application_id FROM casework_bundle_children
		WHERE bundle_application_id = ? ORDER BY position`, b.ID)
	if err != nil {
		return fmt.Errorf("casework: bundle %d: %w", b.ID, err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("casework: bundle %d: %w", b.ID, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("casework: bundle %d: %w", b.ID, err)
	}
	b.Children = b.Children[:0]
	for _, id := range ids {
		app, err := m.load(ctx, db, id)
		if err != nil {
			return err
		}
		b.Children = append(b.Children, *app)
	}
	return nil
}

// GetBundleApplication returns bundle application id with its
// applications if a may see it (the applicant, the intake region's
// clerks, supervisors and administrators, and the staff of a department
// handling one of its applications); otherwise ErrNotFound.
func (m *Module) GetBundleApplication(ctx context.Context, a *auth.Actor, id int64) (*BundleApplication, error) {
	b, err := scanBundleApp(m.d.DB.QueryRowContext(ctx, "SELECT "+bundleAppCols+
		" FROM casework_bundle_applications WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("casework: bundle application %d: %w", id, err)
	}
	if err := m.loadChildren(ctx, m.d.DB, b); err != nil {
		return nil, err
	}
	if m.d.Policy.Authorize(a, auth.ActRead, b.object()) != nil {
		return nil, ErrNotFound
	}
	return b, nil
}

// bundleAppsScope returns the condition selecting the bundle applications
// a may list: those they made (as a person, or for their enterprise), and
// for window clerks, supervisors and administrators those taken in within
// their region. Empty when a may list none.
func bundleAppsScope(a *auth.Actor) (string, []any) {
	var ors []string
	var args []any
	if a.HasAny(auth.RoleCitizen, auth.RoleEnterprise) && a.UserID != 0 {
		ors, args = append(ors, "applicant_user_id = ?"), append(args, a.UserID)
	}
	if a.Has(auth.RoleEnterprise) && a.USCC != "" {
		ors, args = append(ors, "(applicant_kind = 'enterprise' AND applicant_uscc = ?)"), append(args, a.USCC)
	}
	if a.HasAny(auth.RoleClerk, auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "" {
		ors, args = append(ors, "intake_region LIKE ?"), append(args, regionPattern(a.RegionCode))
	}
	if len(ors) == 0 {
		return "", nil
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// BundleApplications lists one keyset page of the bundle applications a
// made or (for a window clerk) took in, newest first, after cursor after,
// with the count bounded at store.CountBound. Children are not loaded.
func (m *Module) BundleApplications(ctx context.Context, a *auth.Actor, limit int, after store.Cursor) ([]BundleApplication, store.Page, error) {
	if a == nil {
		return nil, store.Page{}, auth.ErrUnauthenticated
	}
	where, args := bundleAppsScope(a)
	if where == "" {
		return nil, store.Page{}, nil
	}
	var pg store.Page
	var err error
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT id FROM casework_bundle_applications WHERE "+where, args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("casework: bundle applications: %w", err)
	}
	limit = min(max(limit, 1), 200)
	ks, kargs := store.Before("", "id", after)
	out, err := m.queryBundleApps(ctx, "SELECT "+bundleAppCols+" FROM casework_bundle_applications WHERE "+where+" AND "+ks+
		" ORDER BY id DESC LIMIT ?", append(append(args, kargs...), limit+1)...)
	if err != nil {
		return nil, store.Page{}, err
	}
	if len(out) > limit {
		out = out[:limit]
		pg.Next = store.Cursor{ID: out[limit-1].ID}
	}
	return out, pg, nil
}

// BundleApplicationsAfter lists, as BundleApplications, at most limit
// bundle applications older than the one with id after (0: from the
// newest): a keyset page, as cheap at the thousandth page as at the first.
func (m *Module) BundleApplicationsAfter(ctx context.Context, a *auth.Actor, after int64, limit int) ([]BundleApplication, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	where, args := bundleAppsScope(a)
	if where == "" {
		return nil, nil
	}
	if after > 0 {
		where, args = where+" AND id < ?", append(args, after)
	}
	return m.queryBundleApps(ctx, "SELECT "+bundleAppCols+" FROM casework_bundle_applications WHERE "+where+
		" ORDER BY id DESC LIMIT ?", append(args, min(max(limit, 1), 201))...)
}

func (m *Module) queryBundleApps(ctx context.Context, query string, args ...any) ([]BundleApplication, error) {
	rows, err := m.d.DB.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("casework: bundle applications: %w", err)
	}
	defer rows.Close()
	var out []BundleApplication
	for rows.Next() {
		b, err := scanBundleApp(rows)
		if err != nil {
			return nil, fmt.Errorf("casework: bundle applications: %w", err)
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// BundleOf returns the id of the bundle application application id belongs
// to, 0 when none.
func (m *Module) BundleOf(ctx context.Context, id int64) (int64, error) {
	var bid int64
	err := m.d.DB.QueryRowContext(ctx, `SELECT bundle_application_id FROM casework_bundle_children WHERE application_id = ?`,
		id).Scan(&bid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("casework: bundle of %d: %w", id, err)
	}
	return bid, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
