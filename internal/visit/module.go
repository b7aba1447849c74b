package visit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/credit"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of visits.
const ObjectKind = "visit"

// PublicFile is what the module reads of the credit module for the public
// 监管宝 page and for publishing (*credit.Module): the business's public
// credit file, the public-query limit it shares with 信用公示, and the
// writes of Credit.
type PublicFile interface {
	Credit
	PublicFileOf(ctx context.Context, uscc string, asOf calendar.Date) (*credit.PublicFile, error)
	AllowPublic(ctx context.Context) (bool, time.Duration)
}

// Org is what the module reads of departments (*org.Service).
type Org interface {
	Department(ctx context.Context, id int64) (*org.Department, error)
	DepartmentName(ctx context.Context, id int64) string
}

// Register is what the module reads of the register (*entity.Service).
type Register interface {
	Get(ctx context.Context, a *auth.Actor, uscc string) (*entity.Entity, error)
}

// Deps are what the module uses.
type Deps struct {
	DB       *store.DB
	Service  *Service
	Policy   *auth.Policy
	Audit    *audit.Log
	Org      Org
	Register Register
	Credit   PublicFile
	// BaseURL is the platform's public address, written into the QR labels;
	// empty: the address of the request.
	BaseURL string
	Now     func() time.Time
}

// Module is the inspector's phone pages, the reviewers' publication, the
// public 监管宝 page and their API over the Service.
type Module struct {
	d Deps
	s *web.Server
}

// New checks d and returns the module, registering its kind with the
// policy.
func New(d Deps) (*Module, error) {
	if d.DB == nil || d.Service == nil || d.Policy == nil || d.Audit == nil || d.Org == nil || d.Register == nil || d.Credit == nil {
		return nil, errors.New("visit: DB, Service, Policy, Audit, Org, Register and Credit are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("visit: %w", err)
	}
	return &Module{d: d}, nil
}

// Service returns the service the module works on.
func (m *Module) Service() *Service { return m.d.Service }

// PolicyRules: an inspector reads and carries out (ActAct) the visits it
// is named on; the heads (approvers) and legal reviewers of a department
// read the visits with an item of their department and publish
// (ActAdminister) those their department leads; supervisors read the
// visits of their region.
func PolicyRules() auth.KindRules {
	own, dept := auth.ScopeOwn, auth.ScopeDepartment
	return auth.KindRules{
		auth.ActRead: {auth.RoleInspector: own, auth.RoleApprover: dept, auth.RoleLegal: dept,
			auth.RoleSupervisor: auth.ScopeRegion},
		auth.ActAct:        {auth.RoleInspector: own},
		auth.ActAdminister: {auth.RoleApprover: dept, auth.RoleLegal: dept},
	}
}

// reviewerRoles see their departments' visits and publish results.
var reviewerRoles = []auth.Role{auth.RoleApprover, auth.RoleLegal}

// visitRoles may open the visit pages at all; the policy then decides.
var visitRoles = []auth.Role{auth.RoleInspector, auth.RoleApprover, auth.RoleLegal, auth.RoleSupervisor}

// object is visit v as the policy sees it for act: its departments (for
// publication, the lead department only), its lead department's region,
// and a as owner when a is one of its inspectors.
func (m *Module) object(ctx context.Context, a *auth.Actor, v *Visit, act auth.Action) auth.Object {
	o := auth.Object{Kind: ObjectKind}
	if act == auth.ActAdminister {
		o.DepartmentIDs = []int64{v.LeadDepartmentID}
	} else {
		for _, it := range v.Items {
			if !slices.Contains(o.DepartmentIDs, it.DepartmentID) {
				o.DepartmentIDs = append(o.DepartmentIDs, it.DepartmentID)
			}
		}
	}
	if d, err := m.d.Org.Department(ctx, v.LeadDepartmentID); err == nil && d != nil {
		o.RegionCode = d.RegionCode
	}
	if a != nil && slices.Contains(v.InspectorUserIDs, a.UserID) {
		o.OwnerUserID = a.UserID
	}
	return o
}

// allowed reports whether a may do act on v.
func (m *Module) allowed(ctx context.Context, a *auth.Actor, v *Visit, act auth.Action) bool {
	if a == nil {
		return false
	}
	return m.d.Policy.Authorize(a, act, m.object(ctx, a, v, act)) == nil
}

// Get returns visit id if a may read it, else ErrNotFound: out of scope
// answers as absent.
func (m *Module) Get(ctx context.Context, a *auth.Actor, id int64) (*Visit, error) {
	v, err := m.d.Service.Get(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, &v, auth.ActRead) {
		return nil, ErrNotFound
	}
	return &v, nil
}

// List returns the visits a sees in its task list: an inspector its own,
// a head or legal reviewer its departments'; status narrows.
func (m *Module) List(ctx context.Context, a *auth.Actor, status string, c store.Cursor, limit int) ([]Listed, store.Page, error) {
	var f Filter
	switch {
	case a == nil:
		return nil, store.Page{}, auth.ErrUnauthenticated
	case a.Has(auth.RoleInspector):
		f.UserID = a.UserID
	case a.HasAny(reviewerRoles...):
		f.Departments = a.DepartmentIDs
	default:
		return nil, store.Page{}, nil
	}
	switch status {
	case "", StatusAssigned, StatusCompleted, StatusPublished, StatusOverdue:
		f.Status = status
	default:
		f.Status = StatusAssigned
	}
	return m.d.Service.List(ctx, m.d.DB, f, c, limit)
}

// act loads visit id for an inspector's action, answering ErrNotFound
// when a may not carry it out.
func (m *Module) act(ctx context.Context, a *auth.Actor, id int64) (*Visit, error) {
	v, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, v, auth.ActAct) {
		return nil, ErrNotFound
	}
	return v, nil
}

// RecordResult records one item's result for a, one of the visit's
// inspectors; see Service.RecordResult.
func (m *Module) RecordResult(ctx context.Context, a *auth.Actor, id int64, key string, r ItemResult) (Outcome, error) {
	if _, err := m.act(ctx, a, id); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = m.d.Service.RecordResult(ctx, tx, id, key, r)
		return err
	})
	return out, err
}

// AddEvidence stores a photo, recording or signature for a, one of the
// visit's inspectors, while the visit is open; see Service.AddEvidence.
func (m *Module) AddEvidence(ctx context.Context, a *auth.Actor, id int64, kind, ct string, data []byte) (string, error) {
	v, err := m.act(ctx, a, id)
	if err != nil {
		return "", err
	}
	if v.Status != StatusAssigned {
		return "", stateError("检查已完成，不能再添加证据 (the visit is completed: no more evidence)")
	}
	var hash string
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		hash, err = m.d.Service.AddEvidence(ctx, tx, m.d.Audit, a, id, kind, ct, data)
		return err
	})
	return hash, err
}

// Complete completes the visit with the results recorded, for a, one of
// its inspectors, and enters it in the audit record; a replayed key
// changes nothing.
func (m *Module) Complete(ctx context.Context, a *auth.Actor, id int64, key string) (Outcome, error) {
	if _, err := m.act(ctx, a, id); err != nil {
		return Outcome{}, err
	}
	var out Outcome
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if out, err = m.d.Service.CompleteRecorded(ctx, tx, id, key); err != nil || out.Replayed {
			return err
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "visit.complete",
			ObjectType: "visit", ObjectID: fmt.Sprint(id), Detail: map[string]any{"unreachable": out.Unreachable}})
		return err
	})
	return out, err
}

// Publish publishes a completed visit's results and writes them to the
// business's credit file, for a, a head or legal reviewer of the lead
// department. The credit record is written for the lead department, whose
// grant of kind inspection (and of the abnormal list) it uses: the visit
// module has decided a may publish, so it writes as the department's head
// would.
func (m *Module) Publish(ctx context.Context, a *auth.Actor, id int64) (*Visit, error) {
	v, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !m.allowed(ctx, a, v, auth.ActAdminister) {
		return nil, ErrNotFound
	}
	if v.Status != StatusCompleted && v.Status != StatusOverdue {
		return nil, stateError("只有已完成的检查可以公示 (only completed visits are published)")
	}
	lead := &auth.Actor{UserID: a.UserID, Name: a.Name, Roles: []auth.Role{auth.RoleApprover}, RegionCode: a.RegionCode,
		DepartmentIDs: []int64{v.LeadDepartmentID}}
	if d, err := m.d.Org.Department(ctx, v.LeadDepartmentID); err == nil && d != nil {
		lead.RegionCode = d.RegionCode
	}
	if err := m.d.Service.PublishToCredit(ctx, m.d.DB, m.d.Credit, lead, id); err != nil {
		return nil, err
	}
	if err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "visit.publish",
			ObjectType: "visit", ObjectID: fmt.Sprint(id)})
		return err
	}); err != nil {
		return nil, fmt.Errorf("visit: publish %d: audit: %w", id, err)
	}
	return m.Get(ctx, a, id)
}

// stateError is an action the visit's status does not allow (409).
type stateError string

func (e stateError) Error() string { return string(e) }
func (stateError) Conflict() bool  { return true }

// PublicResult is one published visit as the public sees it: the items
// and their standard results, never the notes or the inspectors.
type PublicResult struct {
	VisitID     int64        `json:"visit_id"`
	CompletedOn string       `json:"completed_on"`
	PublishedOn string       `json:"published_on"`
	Joint       bool         `json:"joint"`
	Items       []PublicItem `json:"items"`
}

// PublicItem is one item of a published visit.
type PublicItem struct {
	Department string `json:"department"`
	ItemName   string `json:"item_name"`
	Result     string `json:"result"`
	ResultName string `json:"result_name"`
}

// Board is the public supervision file a business's QR label (监管宝)
// opens: its public credit file and its published inspection results.
type Board struct {
	File    *credit.PublicFile `json:"credit"`
	Results []PublicResult     `json:"inspection_results"`
}

// BoardOf returns the public file of business uscc, or ErrNotFound for a
// business the platform does not know.
func (m *Module) BoardOf(ctx context.Context, uscc string) (*Board, error) {
	uscc = ids.NormalizeUSCC(uscc)
	if ids.ValidateUSCC(uscc) != nil {
		return nil, ErrNotFound
	}
	f, err := m.d.Credit.PublicFileOf(ctx, uscc, calendar.Date{})
	if err != nil {
		return nil, err
	}
	if !f.Known {
		return nil, ErrNotFound
	}
	vs, err := m.d.Service.PublishedOf(ctx, m.d.DB, uscc, 20)
	if err != nil {
		return nil, err
	}
	b := &Board{File: f, Results: []PublicResult{}}
	for _, v := range vs {
		pr := PublicResult{VisitID: v.ID, CompletedOn: v.CompletedOn, PublishedOn: v.PublishedOn, Joint: v.Joint}
		for _, it := range v.Items {
			pr.Items = append(pr.Items, PublicItem{Department: m.d.Org.DepartmentName(ctx, it.DepartmentID), ItemName: it.ItemName,
				Result: it.Result, ResultName: ResultName(it.Result)})
		}
		b.Results = append(b.Results, pr)
	}
	return b, nil
}

// OpenFor returns the visits of business uscc that a may carry out and are
// still open: what an inspector scanning the label can start.
func (m *Module) OpenFor(ctx context.Context, a *auth.Actor, uscc string) []int64 {
	if a == nil || !a.Has(auth.RoleInspector) {
		return nil
	}
	idl, err := m.d.Service.VisitsOf(ctx, m.d.DB, uscc)
	if err != nil {
		return nil
	}
	var out []int64
	for _, id := range idl {
		v, err := m.d.Service.Get(ctx, m.d.DB, id)
		if err == nil && v.Status == StatusAssigned && m.allowed(ctx, a, &v, auth.ActAct) {
			out = append(out, id)
		}
	}
	return out
}
