package enforcement

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/discretion"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Procedure is the procedure a case runs under.
type Procedure string

// The procedures.
const (
	Ordinary Procedure = "ordinary" // 普通程序
	Simple   Procedure = "simple"   // 简易程序 (当场处罚)
)

// Status is where a case stands overall; the flow state says more.
type Status string

// The statuses.
const (
	StatusLead      Status = "lead"       // 线索核查中
	StatusNotOpened Status = "not_opened" // 不予立案
	StatusOpen      Status = "open"       // 已立案，调查处理中
	StatusDecided   Status = "decided"    // 已作出决定，送达、执行中
	StatusClosed    Status = "closed"     // 结案
)

// PartyKind is a person or an organisation.
type PartyKind string

// The kinds of party.
const (
	Person       PartyKind = "person"
	Organisation PartyKind = "organisation"
)

// Party is the party (当事人) of a case. IDNumber is kept sealed and shown
// masked.
type Party struct {
	Kind     PartyKind `json:"kind" enum:"person,organisation"`
	Name     string    `json:"name" maxLength:"200"`
	USCC     string    `json:"uscc,omitempty" maxLength:"18" doc:"An organisation's 统一社会信用代码"`
	IDNumber string    `json:"id_number,omitempty" maxLength:"18" doc:"A person's 居民身份证号; shown masked"`
}

// Penalty is an intended or decided penalty. Fines are in fen.
type Penalty struct {
	Level   discretion.Level `json:"level" enum:"none,reduced,lighter,normal,heavier"`
	Kinds   []string         `json:"kinds,omitempty"`
	FineFen int64            `json:"fine_fen"`
	// Departed is set when the level or fine is outside the proposal;
	// DepartureReason then says why, for legal review.
	Departed        bool   `json:"departed"`
	DepartureReason string `json:"departure_reason,omitempty"`
	// Education records the education given where no penalty is (第三十三条第三款).
	Education string `json:"education,omitempty"`
	// Reason explains a 不予处罚 (首违不罚, limitation, …).
	Reason string `json:"reason,omitempty"`
}

// FineYuan is the fine in whole yuan (fines are whole yuan).
func (p *Penalty) FineYuan() int64 {
	if p == nil {
		return 0
	}
	return p.FineFen / 100
}

// Decision is the decision (行政处罚决定) as made.
type Decision struct {
	Penalty
	No        string    `json:"no"`
	On        string    `json:"on" doc:"YYYY-MM-DD"`
	ByID      int64     `json:"by_id"`
	ByName    string    `json:"by_name"`
	At        time.Time `json:"at"`
	Collectve bool      `json:"collective,omitempty"`
}

// Case is a penalty case from its lead to its closure.
type Case struct {
	ID             int64     `json:"id"`
	Number         string    `json:"number"`
	Procedure      Procedure `json:"procedure"`
	Status         Status    `json:"status"`
	State          string    `json:"state" doc:"The flow state"`
	StateName      string    `json:"state_name"`
	DepartmentID   int64     `json:"department_id"`
	DepartmentName string    `json:"department_name"`
	DepartmentCode string    `json:"-"`
	RegionCode     string    `json:"region_code"`
	Party          Party     `json:"party"`
	MatterCode     string    `json:"matter_code"`
	MatterName     string    `json:"matter_name"`
	Basis          string    `json:"basis"`
	Source         string    `json:"source"`
	Summary        string    `json:"summary"`
	// Limitation (第三十六条).
	ViolationOn      string `json:"violation_on"`
	ViolationEndedOn string `json:"violation_ended_on,omitempty"`
	Grave            bool   `json:"grave" doc:"Life, health or financial security involved and harm occurred: 5 years"`
	FoundOn          string `json:"found_on"`
	LimitationUntil  string `json:"limitation_until"`
	TimeBarred       bool   `json:"time_barred"`
	// Facts are the discretion facts (first_violation, harm_slight, …).
	Facts    map[string]string    `json:"facts,omitempty"`
	OpenedOn string               `json:"opened_on,omitempty"`
	Proposal *discretion.Proposal `json:"proposal,omitempty"`
	Intended *Penalty             `json:"intended,omitempty"`
	NoticeOn string               `json:"notice_on,omitempty"`
	// Statements are the party's statements and defence, Revisions the
	// changes to the intended penalty after them, Notices what the party
	// was told (prior notice, revision).
	Statements     []Statement   `json:"statements,omitempty"`
	Revisions      []Revision    `json:"revisions,omitempty"`
	Notices        []PartyNotice `json:"notices,omitempty"`
	HearingAllowed bool          `json:"hearing_allowed"`
	LegalRequired  bool          `json:"legal_review_required"`
	CollectiveReq  bool          `json:"collective_required"`
	LegalReviewed  bool          `json:"legal_reviewed"`
	LegalOpinion   string        `json:"legal_opinion,omitempty"`
	CollectiveHeld bool          `json:"collective_held"`
	Decision       *Decision     `json:"decision,omitempty"`
	LeadInstance   int64         `json:"lead_instance_id"`
	CaseInstance   int64         `json:"case_instance_id"`
	// Left is the time left on the current deadline, as pages say it.
	Left      string    `json:"time_left"`
	LeftClass string    `json:"-"`
	DueAt     time.Time `json:"due_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy int64     `json:"created_by"`
	Version   int64     `json:"version"`
}

// doc is the part of a case kept as JSON.
type doc struct {
	Source           string               `json:"source"`
	Summary          string               `json:"summary"`
	ViolationOn      string               `json:"violation_on"`
	ViolationEndedOn string               `json:"violation_ended_on,omitempty"`
	Grave            bool                 `json:"grave"`
	FoundOn          string               `json:"found_on"`
	LimitationUntil  string               `json:"limitation_until"`
	Facts            map[string]string    `json:"facts,omitempty"`
	OpenedOn         string               `json:"opened_on,omitempty"`
	Proposal         *discretion.Proposal `json:"proposal,omitempty"`
	Intended         *Penalty             `json:"intended,omitempty"`
	NoticeOn         string               `json:"notice_on,omitempty"`
	Statements       []Statement          `json:"statements,omitempty"`
	Revisions        []Revision           `json:"revisions,omitempty"`
	Notices          []PartyNotice        `json:"notices,omitempty"`
	LegalReviewed    bool                 `json:"legal_reviewed,omitempty"`
	LegalOpinion     string               `json:"legal_opinion,omitempty"`
	CollectiveHeld   bool                 `json:"collective_held,omitempty"`
	Decision         *Decision            `json:"decision,omitempty"`
}

func (c *Case) doc() doc {
	return doc{Source: c.Source, Summary: c.Summary, ViolationOn: c.ViolationOn, ViolationEndedOn: c.ViolationEndedOn,
		Grave: c.Grave, FoundOn: c.FoundOn, LimitationUntil: c.LimitationUntil, Facts: c.Facts, OpenedOn: c.OpenedOn,
		Proposal: c.Proposal, Intended: c.Intended, NoticeOn: c.NoticeOn, Statements: c.Statements, Revisions: c.Revisions,
		Notices: c.Notices, LegalReviewed: c.LegalReviewed,
		LegalOpinion: c.LegalOpinion, CollectiveHeld: c.CollectiveHeld, Decision: c.Decision}
}

func (c *Case) setDoc(d doc) {
	c.Source, c.Summary, c.ViolationOn, c.ViolationEndedOn, c.Grave = d.Source, d.Summary, d.ViolationOn, d.ViolationEndedOn, d.Grave
	c.FoundOn, c.LimitationUntil, c.Facts, c.OpenedOn, c.Proposal = d.FoundOn, d.LimitationUntil, d.Facts, d.OpenedOn, d.Proposal
	c.Intended, c.NoticeOn, c.LegalReviewed, c.LegalOpinion = d.Intended, d.NoticeOn, d.LegalReviewed, d.LegalOpinion
	c.CollectiveHeld, c.Decision = d.CollectiveHeld, d.Decision
	c.Statements, c.Revisions, c.Notices = d.Statements, d.Revisions, d.Notices
}

func (c *Case) object() auth.Object {
	return auth.Object{Kind: ObjectKind, RegionCode: c.RegionCode, DepartmentIDs: []int64{c.DepartmentID}, OwnerUSCC: c.Party.USCC}
}

// instance returns the flow instance now driving the case.
func (c *Case) instance() int64 {
	if c.CaseInstance != 0 {
		return c.CaseInstance
	}
	return c.LeadInstance
}

const caseCols = `id, number, procedure, status, department_id, region_code, party_kind, party_name, party_uscc,
	party_id_sealed, matter_code, level, time_barred, lead_instance_id, case_instance_id, doc, created_at, created_by, row_version`

func (m *Module) scanCase(r interface{ Scan(...any) error }) (*Case, error) {
	var c Case
	var sealed, js, level string
	err := r.Scan(&c.ID, &c.Number, &c.Procedure, &c.Status, &c.DepartmentID, &c.RegionCode, &c.Party.Kind, &c.Party.Name,
		&c.Party.USCC, &sealed, &c.MatterCode, &level, &c.TimeBarred, &c.LeadInstance, &c.CaseInstance, &js, &c.CreatedAt,
		&c.CreatedBy, &c.Version)
	if err != nil {
		return nil, err
	}
	c.CreatedAt = c.CreatedAt.UTC()
	if sealed != "" {
		if id, err := m.d.Box.Open(sealed); err == nil {
			c.Party.IDNumber = pii.MaskID(id)
		}
	}
	var d doc
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		return nil, fmt.Errorf("enforcement: case %d: doc: %w", c.ID, err)
	}
	c.setDoc(d)
	c.Summary = pii.MaskText(c.Summary)
	if mt, ok := m.d.Rules.Matter(c.MatterCode); ok {
		c.MatterName, c.Basis = mt.Name, mt.Basis
	}
	return &c, nil
}

// load reads case id in db, without scope checks.
func (m *Module) load(ctx context.Context, db store.IDB, id int64) (*Case, error) {
	c, err := m.scanCase(store.QueryRow(ctx, db, "SELECT "+caseCols+" FROM enforcement_cases WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("enforcement: case %d: %w", id, err)
	}
	return c, nil
}

// save writes c's status, level and doc back, checking its row version.
func (m *Module) save(ctx context.Context, tx store.IDB, c *Case) error {
	js, err := json.Marshal(c.doc())
	if err != nil {
		return err
	}
	level := ""
	if c.Decision != nil {
		level = string(c.Decision.Level)
	}
	res, err := store.Exec(ctx, tx, `UPDATE enforcement_cases SET status = ?, level = ?, time_barred = ?, lead_instance_id = ?,
		case_instance_id = ?, doc = ?, updated_at = ?, row_version = row_version + 1 WHERE id = ? AND row_version = ?`,
		c.Status, level, c.TimeBarred, c.LeadInstance, c.CaseInstance, string(js), m.now(), c.ID, c.Version)
	if err != nil {
		return fmt.Errorf("enforcement: save case %d: %w", c.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("enforcement: case %d: %w", c.ID, flow.ErrConflict)
	}
	c.Version++
	return nil
}

// decorate fills the names and the time left of cs.
func (m *Module) decorate(ctx context.Context, lang string, cs ...*Case) {
	var ids []int64
	for _, c := range cs {
		if d, err := m.d.Org.Department(ctx, c.DepartmentID); err == nil {
			c.DepartmentName, c.DepartmentCode = d.Name, d.Code
		}
		if id := c.instance(); id != 0 {
			ids = append(ids, id)
		}
	}
	ins, err := m.d.Flow.Instances(ctx, ids)
	if err != nil {
		return
	}
	for _, c := range cs {
		c.LegalRequired, c.CollectiveReq = m.heavy(c)
		c.HearingAllowed = c.LegalRequired
		in := ins[c.instance()]
		if in == nil {
			continue
		}
		def, _ := m.d.Flow.Definition(ctx, in.DefinitionKey, in.DefinitionVersion)
		c.State = in.State
		if def != nil {
			c.StateName = def.StateLabel(in.State, lang)
		}
		l := flow.TimeLeft(m.d.Flow.Calendar(), def, in, m.d.Now())
		c.Left, c.LeftClass, c.DueAt = l.Text(lang), l.Class, l.Due
	}
}

// ListFilter narrows the case list.
type ListFilter struct {
	Status    Status
	Procedure Procedure
	Query     string // number or party name, contains
	Cursor    store.Cursor
	Limit     int
}

// List returns the cases a may read, newest first, with keyset paging.
func (m *Module) List(ctx context.Context, a *auth.Actor, f ListFilter) ([]*Case, store.Cursor, error) {
	if a == nil {
		return nil, store.Cursor{}, auth.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var where []string
	var args []any
	switch {
	case a.HasAny(auth.RoleInspector, auth.RoleHandler, auth.RoleApprover, auth.RoleLegal) && len(a.DepartmentIDs) > 0:
		where = append(where, "department_id IN (?"+strings.Repeat(", ?", len(a.DepartmentIDs)-1)+")")
		for _, d := range a.DepartmentIDs {
			args = append(args, d)
		}
	case a.HasAny(auth.RoleSupervisor, auth.RoleAdmin) && a.RegionCode != "":
		where = append(where, "region_code LIKE ?")
		args = append(args, regionPrefix(a.RegionCode)+"%")
	case a.Has(auth.RoleEnterprise) && a.USCC != "":
		where = append(where, "party_uscc = ? AND status <> ? AND status <> ?")
		args = append(args, a.USCC, StatusLead, StatusNotOpened)
	default:
		return nil, store.Cursor{}, auth.ErrForbidden
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Procedure != "" {
		where, args = append(where, "procedure = ?"), append(args, f.Procedure)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		q = "%" + strings.NewReplacer("%", "", "_", "").Replace(q) + "%"
		where, args = append(where, "(number LIKE ? OR party_name LIKE ?)"), append(args, q, q)
	}
	if !f.Cursor.IsZero() {
		w, as := store.Before("created_at", "id", f.Cursor)
		where, args = append(where, w), append(args, as...)
	}
	q := "SELECT " + caseCols + " FROM enforcement_cases WHERE " + strings.Join(where, " AND ") +
		" ORDER BY created_at DESC, id DESC LIMIT ?"
	rows, err := store.Query(ctx, m.d.DB, q, append(args, f.Limit+1)...)
	if err != nil {
		return nil, store.Cursor{}, fmt.Errorf("enforcement: list: %w", err)
	}
	defer rows.Close()
	var out []*Case
	for rows.Next() {
		c, err := m.scanCase(rows)
		if err != nil {
			return nil, store.Cursor{}, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Cursor{}, err
	}
	var next store.Cursor
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = store.Cursor{At: last.CreatedAt, ID: last.ID}
	}
	return out, next, nil
}

func regionPrefix(code string) string {
	switch {
	case len(code) != 6:
		return code
	case code[2:] == "0000":
		return code[:2]
	case code[4:] == "00":
		return code[:4]
	}
	return code
}
