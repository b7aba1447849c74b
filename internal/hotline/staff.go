package hotline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// TopicStaff: something the hotline centre's dispatchers must act on (an
// extension request to decide, an order sent back); notifiers tell the
// dispatchers of the order's region.
const TopicStaff = "hotline.staff"

// ErrCoHandleLate: the co-handling limit (协办时限) has passed.
var ErrCoHandleLate = stateError{"hotline: 协办时限已过，不能再提交协办意见 (the co-handling limit has passed)"}

// Settings returns the hotline's settings (defaults and the province's
// override).
func (m *Module) Settings() Settings { return m.set }

// Contribution is what an assisting department (协办单位) added to an
// order: its opinion, a part of the reply and attachments.
type Contribution struct {
	ID           int64              `json:"id"`
	OrderID      int64              `json:"order_id"`
	DepartmentID int64              `json:"department_id"`
	Department   string             `json:"department"`
	Opinion      string             `json:"opinion"`
	ReplyPart    string             `json:"reply_part,omitempty"`
	AuthorName   string             `json:"author_name"`
	CreatedAt    time.Time          `json:"created_at"`
	Files        []ContributionFile `json:"files,omitempty"`
}

// ContributionFile is one attachment of a contribution.
type ContributionFile struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// FileInput is an uploaded attachment.
type FileInput struct {
	Name        string
	ContentType string
	Data        []byte
}

// ContributionInput is what an assisting department contributes.
type ContributionInput struct {
	Opinion   string      `json:"opinion" maxLength:"2000"`
	ReplyPart string      `json:"reply_part,omitempty" maxLength:"2000"`
	Files     []FileInput `json:"-"`
}

// Attachment limits.
const (
	maxFiles    = 5
	maxFileSize = 5 << 20
)

var fileTypes = map[string]bool{"image/jpeg": true, "image/png": true, "application/pdf": true}

// Contribute records the part of an assisting department's handler in
// order id: allowed to the handlers of an assisting department (not the
// lead, not another department) while the order is dispatched or handled
// and before the co-handling limit.
func (m *Module) Contribute(ctx context.Context, a *auth.Actor, id int64, in ContributionInput) (*Contribution, error) {
	in.Opinion, in.ReplyPart = strings.TrimSpace(in.Opinion), strings.TrimSpace(in.ReplyPart)
	var p problems
	if err := text("opinion", in.Opinion, 2000, true); err != nil {
		p = append(p, err)
	}
	if err := text("reply_part", in.ReplyPart, 2000, false); err != nil {
		p = append(p, err)
	}
	if len(in.Files) > maxFiles {
		p.add("files", fmt.Sprintf("附件最多%d个 (at most %d files)", maxFiles, maxFiles))
	}
	for _, f := range in.Files {
		switch {
		case len(f.Data) == 0 || len(f.Data) > maxFileSize:
			p.add("files", "每个附件须小于5MB且不能为空 (each file must be under 5 MB and not empty)")
		case !fileTypes[http.DetectContentType(f.Data)]:
			p.add("files", "附件须为 JPEG、PNG 图片或 PDF 文件 (JPEG, PNG or PDF only)")
		case utf8.RuneCountInString(f.Name) > 100:
			p.add("files", "文件名不超过100字 (file name too long)")
		default:
			continue
		}
		break
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	var c *Contribution
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := m.authorizeAct(a, o, false); err != nil {
			return err
		}
		dept := assistingDept(a, o)
		if dept == 0 {
			return fmt.Errorf("hotline: order %d: only an assisting department contributes: %w", o.ID, auth.ErrForbidden)
		}
		if err := wantStatus(StatusDispatched, StatusHandling)(o); err != nil {
			return err
		}
		now := store.Time(m.d.Now())
		if o.AssistDueAt.IsZero() || now.After(o.AssistDueAt) {
			return ErrCoHandleLate
		}
		c = &Contribution{OrderID: o.ID, DepartmentID: dept, Department: m.departmentName(ctx, dept),
			Opinion: in.Opinion, ReplyPart: in.ReplyPart, AuthorName: a.Name, CreatedAt: now}
		if err := store.QueryRow(ctx, tx, `INSERT INTO hotline_contributions (order_id, department_id, opinion, reply_part,
			author_id, author_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			o.ID, dept, c.Opinion, c.ReplyPart, a.UserID, a.Name, now).Scan(&c.ID); err != nil {
			return fmt.Errorf("hotline: contribute to %s: %w", o.Number, err)
		}
		for _, f := range in.Files {
			sum := sha256.Sum256(f.Data)
			cf := ContributionFile{Name: cleanFileName(f.Name), ContentType: http.DetectContentType(f.Data), Size: int64(len(f.Data))}
			if err := store.QueryRow(ctx, tx, `INSERT INTO hotline_contribution_files (contribution_id, order_id, name,
				content_type, size, sha256, data, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				c.ID, o.ID, cf.Name, cf.ContentType, cf.Size, hex.EncodeToString(sum[:]), f.Data, now).Scan(&cf.ID); err != nil {
				return fmt.Errorf("hotline: contribute to %s: file: %w", o.Number, err)
			}
			c.Files = append(c.Files, cf)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.contribute",
			ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode,
			Detail: map[string]any{"department_id": dept, "contribution": c.ID, "files": len(c.Files)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// assistingDept returns the assisting department of o that a's handler
// role works for, 0 when a is no co-handler of o.
func assistingDept(a *auth.Actor, o *Order) int64 {
	if a == nil || !a.Has(auth.RoleHandler) {
		return 0
	}
	for _, d := range o.AssistDepts {
		if a.InDepartment(d) && d != o.LeadDept {
			return d
		}
	}
	return 0
}

func cleanFileName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "附件"
	}
	return s
}

// Contributions lists the assisting departments' contributions to order
// id, oldest first, their free text masked as present masks the order's.
func (m *Module) Contributions(ctx context.Context, a *auth.Actor, id int64) ([]Contribution, error) {
	o, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	return m.contributions(ctx, m.d.DB, a, o)
}

func (m *Module) contributions(ctx context.Context, db store.IDB, a *auth.Actor, o *Order) ([]Contribution, error) {
	rows, err := store.Query(ctx, db, `SELECT id, department_id, opinion, reply_part, author_name, created_at
		FROM hotline_contributions WHERE order_id = ? ORDER BY id`, o.ID)
	if err != nil {
		return nil, fmt.Errorf("hotline: contributions of %d: %w", o.ID, err)
	}
	var out []Contribution
	for rows.Next() {
		c := Contribution{OrderID: o.ID}
		if err := rows.Scan(&c.ID, &c.DepartmentID, &c.Opinion, &c.ReplyPart, &c.AuthorName, &c.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("hotline: contributions of %d: %w", o.ID, err)
		}
		c.CreatedAt = c.CreatedAt.UTC()
		if a != nil && !seesFreeText(a, o) {
			c.Opinion, c.ReplyPart = pii.MaskText(c.Opinion), pii.MaskText(c.ReplyPart)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hotline: contributions of %d: %w", o.ID, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	frows, err := store.Query(ctx, db, `SELECT id, contribution_id, name, content_type, size FROM hotline_contribution_files
		WHERE order_id = ? ORDER BY id`, o.ID)
	if err != nil {
		return nil, fmt.Errorf("hotline: files of %d: %w", o.ID, err)
	}
	defer frows.Close()
	for frows.Next() {
		var f ContributionFile
		var cid int64
		if err := frows.Scan(&f.ID, &cid, &f.Name, &f.ContentType, &f.Size); err != nil {
			return nil, fmt.Errorf("hotline: files of %d: %w", o.ID, err)
		}
		for i := range out {
			if out[i].ID == cid {
				out[i].Files = append(out[i].Files, f)
			}
		}
	}
	for i := range out {
		out[i].Department = m.departmentName(ctx, out[i].DepartmentID)
	}
	return out, frows.Err()
}

// ContributionFileData returns attachment fid of order id, read by a.
func (m *Module) ContributionFileData(ctx context.Context, a *auth.Actor, id, fid int64) (*ContributionFile, []byte, error) {
	if _, err := m.Get(ctx, a, id); err != nil {
		return nil, nil, err
	}
	var f ContributionFile
	var data []byte
	err := m.d.DB.QueryRowContext(ctx, `SELECT id, name, content_type, size, data FROM hotline_contribution_files
		WHERE id = ? AND order_id = ?`, fid, id).Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("hotline: file %d of %d: %w", fid, id, err)
	}
	return &f, data, nil
}

// CoHandler is one assisting department of an order as the lead sees it:
// whether it has contributed and how long it has left.
type CoHandler struct {
	DepartmentID int64
	Name         string
	Contributed  bool
	Left         flow.Left
}

// coHandlers returns o's assisting departments, with the contributions cs.
func (m *Module) coHandlers(ctx context.Context, o *Order, cs []Contribution) []CoHandler {
	var out []CoHandler
	now := m.d.Now()
	for _, d := range o.AssistDepts {
		h := CoHandler{DepartmentID: d, Name: m.departmentName(ctx, d),
			Contributed: slices.ContainsFunc(cs, func(c Contribution) bool { return c.DepartmentID == d })}
		h.Left = flow.LeftUntil(m.d.Flow.Calendar(), o.AssistDueAt, flow.WorkDays, now)
		out = append(out, h)
	}
	return out
}

// replyWithParts is the lead's reply followed by the assisting
// departments' reply parts, each under its department's name, so the
// citizen's answer holds every department's part.
func replyWithParts(reply string, cs []Contribution) string {
	var b strings.Builder
	b.WriteString(reply)
	for _, c := range cs {
		if c.ReplyPart != "" {
			fmt.Fprintf(&b, "\n（协办单位%s）%s", c.Department, c.ReplyPart)
		}
	}
	return b.String()
}

// RevealPhone returns the caller's full phone number of order id to an
// administrator, with the purpose of the read, recorded in the audit log
// (hotline.reveal_phone). Nobody else reads a number this way.
func (m *Module) RevealPhone(ctx context.Context, a *auth.Actor, id int64, purpose string) (string, error) {
	purpose = strings.TrimSpace(purpose)
	if n := utf8.RuneCountInString(purpose); n < 2 || n > 200 {
		return "", &FieldError{Name: "purpose", Message: "请填写查看完整号码的目的（2至200字）(say why the number is needed)"}
	}
	var phone string
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		o, err := m.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.d.Policy.Authorize(a, auth.ActRead, o.Object()) != nil {
			return ErrNotFound
		}
		if !a.Has(auth.RoleAdmin) || m.d.Policy.Authorize(a, auth.ActAdminister, o.Object()) != nil || !auth.CanSeeReporter(a, o.Object()) {
			return fmt.Errorf("hotline: reveal %s: %w", o.Number, auth.ErrForbidden)
		}
		if phone, err = m.d.Box.Open(o.phoneSealed); err != nil {
			return fmt.Errorf("hotline: reveal %s: %w", o.Number, err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "hotline.reveal_phone",
			ObjectType: Kind, ObjectID: o.Number, RegionCode: o.RegionCode,
			Detail: map[string]any{"field": "caller_phone", "purpose": purpose}})
		return err
	})
	return phone, err
}

// PendingExtension is an extension request waiting for a dispatcher.
type PendingExtension struct {
	Extension flow.Extension
	Order     Order
	Left      flow.Left // of the order's current deadline
}

// PendingExtensions lists the extension requests of a's region waiting for
// a decision, oldest first, from after on (keyset on the request's id).
// Only dispatchers (who grant them) see the queue.
func (m *Module) PendingExtensions(ctx context.Context, a *auth.Actor, after store.Cursor, limit int) ([]PendingExtension, store.Page, error) {
	if a == nil || !a.Has(auth.RoleDispatcher) || len(a.RegionCode) != 6 {
		return nil, store.Page{}, auth.ErrForbidden
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	from := ` FROM flow_extensions x JOIN flow_instances i ON i.id = x.instance_id
		JOIN hotline_orders ON hotline_orders.instance_id = x.instance_id
		WHERE x.status = ? AND i.subject_type = ? AND hotline_orders.region_code LIKE ?`
	args := []any{flow.ExtensionPending, Kind, regionPrefix(a.RegionCode) + "%"}
	q := "SELECT x.id, x.days, x.reason, x.requested_by_name, x.requested_at, " + qualified("hotline_orders") + from +
		" AND x.id > ? ORDER BY x.id LIMIT " + strconv.Itoa(limit+1)
	rows, err := m.d.DB.QueryContext(ctx, q, append(slices.Clone(args), after.ID)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: pending extensions: %w", err)
	}
	var out []PendingExtension
	for rows.Next() {
		var x flow.Extension
		o, err := scanOrder(prefixScan{rows, []any{&x.ID, &x.Days, &x.Reason, &x.RequestedByName, &x.RequestedAt}})
		if err != nil {
			rows.Close()
			return nil, store.Page{}, fmt.Errorf("hotline: pending extensions: %w", err)
		}
		x.Status, x.RequestedAt = flow.ExtensionPending, x.RequestedAt.UTC()
		o = m.presentList(a, o)
		if !seesFreeText(a, o) {
			x.Reason = pii.MaskText(x.Reason)
		}
		out = append(out, PendingExtension{Extension: x, Order: *o})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: pending extensions: %w", err)
	}
	var pg store.Page
	if len(out) > limit {
		out = out[:limit]
		pg.Next = store.Cursor{ID: out[limit-1].Extension.ID}
	}
	for i := range out {
		if in, err := m.d.Flow.Instance(ctx, out[i].Order.InstanceID); err == nil {
			out[i].Left = m.d.Flow.Left(ctx, in)
		}
	}
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, "SELECT x.id"+from, args...); err != nil {
		return nil, store.Page{}, fmt.Errorf("hotline: pending extensions: %w", err)
	}
	return out, pg, nil
}

// prefixScan scans some columns before those its caller asks for.
type prefixScan struct {
	r      scanner
	before []any
}

func (s prefixScan) Scan(dest ...any) error {
	return s.r.Scan(append(slices.Clone(s.before), dest...)...)
}

// tellDispatchers writes, in tx, what the dispatchers of o's region must
// act on (TopicStaff).
func tellDispatchers(ctx context.Context, tx store.IDB, now time.Time, o *Order, kind, title, body, link string) error {
	return outbox.Add(ctx, tx, now, TopicStaff, map[string]any{"order_id": o.ID, "number": o.Number,
		"region_code": o.RegionCode, "kind": kind, "audience": "dispatcher", "title": title, "message": body, "link": link})
}
