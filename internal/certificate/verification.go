package certificate

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"slices"
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

//go:embed flows/*.json
var flowFS embed.FS

// VerificationFlow is the key of the workflow of verification requests.
const VerificationFlow = "certificate.verification"

// SubjectVerification is the workflow subject type of verification
// requests.
const SubjectVerification = "certificate_verification"

// The answers to a verification request.
const (
	ResultConfirmed = "confirmed"
	ResultDenied    = "denied"
)

// LoadDefinitions loads the package's workflow definitions into the
// engine. Call it at start-up, outside any transaction; loading an
// unchanged definition again is a no-op.
func (s *Service) LoadDefinitions(ctx context.Context) error {
	if s.d.Flow == nil {
		return errors.New("certificate: no workflow engine")
	}
	raw, err := flowFS.ReadFile("flows/verification.json")
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	if _, _, err := s.d.Flow.LoadDefinition(ctx, raw, auth.System()); err != nil {
		return fmt.Errorf("certificate: load %s: %w", VerificationFlow, err)
	}
	return nil
}

// VerificationRequest asks the department owning a kind of certificate to
// confirm a fact about a holder for whom no electronic certificate exists
// (部门核验).
type VerificationRequest struct {
	FromDepartmentID int64
	// OwnerDepartmentID answers; 0 means the type's issuing department.
	OwnerDepartmentID int64
	TypeCode          string
	Holder            Holder
	ApplicationRef    string
	Question          string
	Actor             *auth.Actor
}

// Verification is a verification request and, once given, its answer.
type Verification struct {
	ID                int64      `json:"id"`
	FromDepartmentID  int64      `json:"from_department_id"`
	OwnerDepartmentID int64      `json:"owner_department_id"`
	TypeCode          string     `json:"type"`
	HolderKind        HolderKind `json:"holder_kind"`
	HolderName        string     `json:"holder_name"`
	HolderIDMasked    string     `json:"holder_id_masked,omitempty"`
	HolderUSCC        string     `json:"holder_uscc,omitempty"`
	ApplicationRef    string     `json:"application_ref"`
	Question          string     `json:"question"`
	Status            string     `json:"status" enum:"requested,answered"`
	Result            string     `json:"result,omitempty" enum:"confirmed,denied"`
	Answer            string     `json:"answer,omitempty"`
	InstanceID        int64      `json:"instance_id"`
	RequestedAt       time.Time  `json:"requested_at"`
	AnsweredAt        time.Time  `json:"answered_at,omitzero"`
	AnsweredBy        int64      `json:"-"`
	RegionCode        string     `json:"-"`

	holderKey string
}

func (v *Verification) object() auth.Object {
	return auth.Object{Kind: verificationKind, RegionCode: v.RegionCode,
		DepartmentIDs: []int64{v.FromDepartmentID, v.OwnerDepartmentID}}
}

// RequestVerification records a request in tx and starts its workflow
// task, which appears in the owning department's inbox with a limit of two
// working days.
func (s *Service) RequestVerification(ctx context.Context, tx store.IDB, in VerificationRequest) (*Verification, error) {
	var ps []error
	holder, hp := in.Holder.normalize()
	ps = append(ps, hp...)
	typ, err := s.GetType(ctx, tx, in.TypeCode)
	if err != nil {
		ps = append(ps, invalid("type", "证照类型不存在 (unknown certificate type)"))
	} else if holder.Kind != typ.HolderKind {
		ps = append(ps, invalid("holder.kind", "该证照的持证主体类型不符 (wrong holder kind for this type)"))
	}
	in.Question, in.ApplicationRef = strings.TrimSpace(in.Question), strings.TrimSpace(in.ApplicationRef)
	if in.Question == "" || utf8.RuneCountInString(in.Question) > 1000 {
		ps = append(ps, invalid("question", "核验事项必填，不超过1000字 (question required, at most 1000 characters)"))
	}
	if len(in.ApplicationRef) > 64 {
		ps = append(ps, invalid("application_ref", "办件编号不超过64字符 (application reference at most 64 characters)"))
	}
	if in.FromDepartmentID <= 0 {
		ps = append(ps, invalid("from_department_id", "须指定请求部门 (requesting department required)"))
	}
	if len(ps) > 0 {
		return nil, joinProblems(ps)
	}
	if in.OwnerDepartmentID == 0 {
		in.OwnerDepartmentID = typ.IssuerDepartmentID
	}
	owner, err := s.department(ctx, in.OwnerDepartmentID)
	if err != nil {
		return nil, invalid("owner_department_id", "核验部门不存在 (no such department)")
	}
	if in.OwnerDepartmentID == in.FromDepartmentID {
		return nil, invalid("owner_department_id", "不能向本部门请求核验 (cannot ask one's own department)")
	}
	v := &Verification{FromDepartmentID: in.FromDepartmentID, OwnerDepartmentID: owner.ID, TypeCode: typ.Code,
		HolderKind: holder.Kind, HolderName: holder.Name, HolderIDMasked: pii.MaskID(holder.IDNumber),
		HolderUSCC: holder.USCC, ApplicationRef: in.ApplicationRef, Question: in.Question, Status: "requested",
		RequestedAt: s.now(), RegionCode: owner.RegionCode, holderKey: holder.key(s.d.Box)}
	if err := s.d.Policy.Authorize(in.Actor, auth.ActCreate, auth.Object{Kind: verificationKind,
		RegionCode: owner.RegionCode, DepartmentIDs: []int64{in.FromDepartmentID}}); err != nil {
		return nil, fmt.Errorf("certificate: request verification: %w", ErrForbidden)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO certificate_verifications (from_department_id, owner_department_id, type_code,
		holder_kind, holder_name, holder_id_enc, holder_uscc, holder_key, application_ref, question, status, result, answer,
		instance_id, requested_by, requested_at, answered_by, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', 0, ?, ?, 0, NULL)
		RETURNING id`, v.FromDepartmentID, v.OwnerDepartmentID, v.TypeCode, v.HolderKind, v.HolderName,
		s.d.Box.Seal(holder.IDNumber), v.HolderUSCC, v.holderKey, v.ApplicationRef, v.Question, v.Status,
		actorID(in.Actor), v.RequestedAt).Scan(&v.ID)
	if err != nil {
		return nil, fmt.Errorf("certificate: request verification: %w", err)
	}
	inst, err := s.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: VerificationFlow, SubjectType: SubjectVerification,
		SubjectID: v.ID, Reference: fmt.Sprintf("HY%d%06d", v.RequestedAt.In(cst).Year(), v.ID),
		Title:      truncate("部门核验："+typ.Name+"（"+PublicName(v.HolderKind, v.HolderName)+"）", 200),
		RegionCode: owner.RegionCode, DepartmentIDs: []int64{owner.ID}, Actor: in.Actor})
	if err != nil {
		return nil, fmt.Errorf("certificate: request verification: %w", err)
	}
	v.InstanceID = inst.ID
	if _, err := tx.ExecContext(ctx, `UPDATE certificate_verifications SET instance_id = ? WHERE id = ?`, inst.ID, v.ID); err != nil {
		return nil, fmt.Errorf("certificate: request verification: %w", err)
	}
	if _, err := s.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(in.Actor), ActorName: actorName(in.Actor),
		Action: "certificate.verification_request", ObjectType: SubjectVerification, ObjectID: idText(v.ID),
		RegionCode: owner.RegionCode, Detail: map[string]any{"from_department_id": v.FromDepartmentID,
			"owner_department_id": v.OwnerDepartmentID, "type": v.TypeCode, "application_ref": v.ApplicationRef,
			"instance_id": inst.ID}}); err != nil {
		return nil, fmt.Errorf("certificate: request verification: %w", err)
	}
	if err := outbox.Add(ctx, tx, v.RequestedAt, TopicVerificationAsked, map[string]any{"id": v.ID,
		"owner_department_id": v.OwnerDepartmentID, "instance_id": inst.ID}); err != nil {
		return nil, fmt.Errorf("certificate: request verification: %w", err)
	}
	return v, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// AnswerVerification answers request id in tx with result (ResultConfirmed
// or ResultDenied) and a comment, finishing its workflow task. Only staff
// of the owning department may answer.
func (s *Service) AnswerVerification(ctx context.Context, tx store.IDB, id int64, result, comment string, actor *auth.Actor) (*Verification, error) {
	if result != ResultConfirmed && result != ResultDenied {
		return nil, invalid("result", "核验结果须为属实或不属实 (result must be confirmed or denied)")
	}
	comment = strings.TrimSpace(comment)
	if utf8.RuneCountInString(comment) > 1000 {
		return nil, invalid("comment", "说明不超过1000字 (comment at most 1000 characters)")
	}
	v, err := s.verification(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !actor.Has(auth.RoleSystem) && !actor.InDepartment(v.OwnerDepartmentID) {
		return nil, fmt.Errorf("certificate: answer verification %d: %w", id, ErrForbidden)
	}
	if v.Status != "requested" {
		return nil, fmt.Errorf("certificate: answer verification %d: %w", id, ErrAlreadyDone)
	}
	inputs := map[string]string{"result": result}
	if comment != "" {
		inputs["comment"] = comment
	}
	if _, err := s.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: v.InstanceID, Action: "answer", Actor: actor, Inputs: inputs}); err != nil {
		if errors.Is(err, flow.ErrForbidden) {
			return nil, fmt.Errorf("certificate: answer verification %d: %w", id, ErrForbidden)
		}
		if errors.Is(err, flow.ErrFinished) {
			return nil, fmt.Errorf("certificate: answer verification %d: %w", id, ErrAlreadyDone)
		}
		return nil, fmt.Errorf("certificate: answer verification %d: %w", id, err)
	}
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE certificate_verifications SET status = 'answered', result = ?, answer = ?,
		answered_by = ?, answered_at = ? WHERE id = ? AND status = 'requested'`, result, comment, actorID(actor), now, id); err != nil {
		return nil, fmt.Errorf("certificate: answer verification %d: %w", id, err)
	}
	v.Status, v.Result, v.Answer, v.AnsweredBy, v.AnsweredAt = "answered", result, comment, actorID(actor), now
	return v, nil
}

const verificationCols = `id, from_department_id, owner_department_id, type_code, holder_kind, holder_name, holder_id_enc,
	holder_uscc, holder_key, application_ref, question, status, result, answer, instance_id, requested_at, answered_by, answered_at`

func (s *Service) scanVerification(r interface{ Scan(...any) error }) (*Verification, error) {
	var v Verification
	var enc string
	var answered sql.NullTime
	if err := r.Scan(&v.ID, &v.FromDepartmentID, &v.OwnerDepartmentID, &v.TypeCode, &v.HolderKind, &v.HolderName, &enc,
		&v.HolderUSCC, &v.holderKey, &v.ApplicationRef, &v.Question, &v.Status, &v.Result, &v.Answer, &v.InstanceID,
		&v.RequestedAt, &v.AnsweredBy, &answered); err != nil {
		return nil, err
	}
	v.RequestedAt = v.RequestedAt.UTC()
	if answered.Valid {
		v.AnsweredAt = answered.Time.UTC()
	}
	if idn, err := s.d.Box.Open(enc); err == nil {
		v.HolderIDMasked = pii.MaskID(idn)
	}
	if d, err := s.department(context.Background(), v.OwnerDepartmentID); err == nil {
		v.RegionCode = d.RegionCode
	}
	return &v, nil
}

func (s *Service) verification(ctx context.Context, db store.IDB, id int64) (*Verification, error) {
	v, err := s.scanVerification(db.QueryRowContext(ctx, `SELECT `+verificationCols+` FROM certificate_verifications WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, fmt.Errorf("certificate: verification %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("certificate: verification %d: %w", id, err)
	}
	if v.Status == "requested" && s.d.Flow != nil {
		s.syncAnswer(ctx, v)
	}
	return v, nil
}

// syncAnswer fills in an answer given through the generic case page, which
// moves the workflow without passing through AnswerVerification.
func (s *Service) syncAnswer(ctx context.Context, v *Verification) {
	inst, err := s.d.Flow.Instance(ctx, v.InstanceID)
	if err != nil || inst.Status != flow.StatusDone {
		return
	}
	hist, err := s.d.Flow.History(ctx, v.InstanceID)
	if err != nil {
		return
	}
	for _, h := range slices.Backward(hist) {
		if h.Action == "answer" {
			v.Status, v.Result, v.Answer, v.AnsweredAt, v.AnsweredBy = "answered", h.Inputs["result"], h.Inputs["comment"], h.At, h.ActorID
			return
		}
	}
}

// GetVerification returns request id if actor may see it (staff of the
// asking or the owning department, region-wide staff); else ErrNotFound.
func (s *Service) GetVerification(ctx context.Context, id int64, actor *auth.Actor) (*Verification, error) {
	v, err := s.verification(ctx, s.d.DB, id)
	if err != nil {
		return nil, err
	}
	if s.d.Policy.Authorize(actor, auth.ActRead, v.object()) != nil {
		return nil, fmt.Errorf("certificate: verification %d: %w", id, ErrNotFound)
	}
	return v, nil
}

// Verifications returns the requests the actor's departments sent or
// received, newest first (at most limit).
func (s *Service) Verifications(ctx context.Context, a *auth.Actor, limit int) ([]Verification, error) {
	if a == nil || len(a.DepartmentIDs) == 0 {
		return nil, nil
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	in := placeholders(len(a.DepartmentIDs))
	args := append(anys(a.DepartmentIDs), anys(a.DepartmentIDs)...)
	rows, err := s.d.DB.QueryContext(ctx, `SELECT `+verificationCols+` FROM certificate_verifications
		WHERE from_department_id IN (`+in+`) OR owner_department_id IN (`+in+`) ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("certificate: verifications: %w", err)
	}
	var out []Verification
	for rows.Next() {
		v, err := s.scanVerification(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, *v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Status == "requested" {
			s.syncAnswer(ctx, &out[i])
		}
	}
	return out, nil
}
