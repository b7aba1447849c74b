package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// step is one workflow action with the module's own change, applied in one
// transaction: the application is read and authorised, the engine moves
// the instance (checking the actor's role and scope, the inputs and the
// state), change updates the application, and the row, an audit entry and
// an outbox event are written.
type step struct {
	action  string
	inputs  map[string]string
	comment string
	// version, when non-zero, is the application row version the actor saw.
	version int64
	// deemed marks the acceptance 第三十二条 deems made when the window
	// let the time to decide on intake pass.
	deemed bool
	change func(ctx context.Context, tx store.Tx, app *Application, inst *flow.Instance) error
}

// run applies s to application id for actor a.
func (m *Module) run(ctx context.Context, a *auth.Actor, id int64, s step) (*Application, error) {
	var app *Application
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		app, err = m.readable(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if s.version != 0 && s.version != app.RowVersion {
			return fmt.Errorf("casework: application %d: %w", id, flow.ErrConflict)
		}
		if err := m.d.Policy.Authorize(a, auth.ActAct, app.object()); err != nil {
			return fmt.Errorf("casework: %s %d: %w", s.action, id, ErrForbidden)
		}
		return m.apply(ctx, tx, a, app, s)
	})
	if err != nil {
		return nil, mapFlowError(err)
	}
	return app, nil
}

// apply is run inside a transaction on an application already read.
func (m *Module) apply(ctx context.Context, tx store.Tx, a *auth.Actor, app *Application, s step) error {
	inst, err := m.d.Flow.Apply(ctx, tx, flow.Transition{InstanceID: app.InstanceID, Action: s.action, Actor: a,
		Inputs: s.inputs, Comment: s.comment})
	if err != nil {
		return err
	}
	app.Status = Status(inst.State)
	if s.change != nil {
		if err := s.change(ctx, tx, app, inst); err != nil {
			return err
		}
	}
	if err := m.stepNotice(ctx, tx, a, app, inst, s); err != nil {
		return err
	}
	if err := m.save(ctx, tx, app); err != nil {
		return err
	}
	detail := map[string]any{"number": app.Number, "status": app.Status}
	if s.comment != "" {
		detail["comment"] = s.comment
	}
	if err := m.audit(ctx, tx, a, "casework."+s.action, app, detail); err != nil {
		return err
	}
	return outbox.Add(ctx, tx, m.now(), TopicChanged, m.event(app, s.action))
}

// save writes the mutable columns of app, checking its row version.
func (m *Module) save(ctx context.Context, tx store.IDB, app *Application) error {
	now := m.now()
	app.UpdatedAt = now
	if app.Status.Finished() && app.FinishedAt.IsZero() {
		app.FinishedAt = now
	}
	res, err := tx.ExecContext(ctx, `UPDATE casework_applications SET status = ?, shortfall_open = ?, shortfall_due = ?,
		correction_note = ?, decision = ?, decision_reason = ?, decided_at = ?, decided_by = ?, decided_by_name = ?,
		rule_version = ?, rule_inputs = ?, certificate_id = ?, verification_instance_id = ?, verification_result = ?,
		verified_at = ?, credit_record_id = ?, updated_at = ?, finished_at = ?, issuance_instance_id = ?,
		row_version = row_version + 1
		WHERE id = ? AND row_version = ?`,
		app.Status, app.ShortfallOpen, nullable(app.ShortfallDue), app.CorrectionNote, app.Decision, app.DecisionReason,
		nullable(app.DecidedAt), app.DecidedBy, app.DecidedByName, app.RuleVersion, app.RuleInputs, app.CertificateID,
		app.VerificationInstanceID, app.VerificationResult, nullable(app.VerifiedAt), app.CreditRecordID, now,
		nullable(app.FinishedAt), app.IssuanceInstanceID, app.ID, app.RowVersion)
	if err != nil {
		return fmt.Errorf("casework: save %d: %w", app.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("casework: save %d: %w", app.ID, flow.ErrConflict)
	}
	app.RowVersion++
	return nil
}

// mapFlowError turns the engine's errors into the module's.
func mapFlowError(err error) error {
	var ie *flow.InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ie):
		var p problems
		for _, x := range ie.Problems {
			p.Add(x.Key, "%s", x.Message)
		}
		return p.Err()
	case errors.Is(err, flow.ErrNoSuchAction), errors.Is(err, flow.ErrFinished):
		return fmt.Errorf("%w (%v)", ErrState, err)
	case errors.Is(err, flow.ErrForbidden):
		return fmt.Errorf("%w (%v)", ErrForbidden, err)
	case errors.Is(err, flow.ErrConflict):
		return conflict{"casework: the application changed; reload and retry (办件已被他人处理，请刷新后重试)"}
	}
	return err
}

// Accept takes the application in (受理). A cross-region application is
// taken in only by Forward, which records the receiving window's checks.
func (m *Module) Accept(ctx context.Context, a *auth.Actor, id int64, comment string) (*Application, error) {
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := m.notCrossRegion(ctx, app, a); err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: "accept", comment: strings.TrimSpace(comment)})
}

// notCrossRegion refuses the intake steps on a cross-region application
// (异地代收代办, 国办发〔2020〕35号) until the receiving window has checked and
// forwarded it, and to anyone but the owning department after: the
// receiving window only checks form and identity, 受理 is the owning
// locality's.
func (m *Module) notCrossRegion(ctx context.Context, app *Application, a *auth.Actor) error {
	if !IsCrossRegion(app) || (app.Status != StatusSubmitted && app.Status != StatusForwarded) {
		return nil
	}
	fw, err := m.forwarded(ctx, []int64{app.ID})
	if err != nil {
		return err
	}
	if !fw[app.ID] {
		return fmt.Errorf("%w: 跨域通办件须由收件窗口核验后转办 (a cross-region application is forwarded by the receiving window first)", ErrState)
	}
	if a == nil || (!a.Has(auth.RoleSystem) && !slices.Contains(a.DepartmentIDs, app.DepartmentID)) {
		return fmt.Errorf("%w: 跨域通办件由所属地部门受理 (the owning department takes it in)", ErrForbidden)
	}
	return nil
}

// AcceptWithShortfall takes the application in although the materials it
// promised (容缺) are missing: the applicant's written promise is on file,
// and due (YYYY-MM-DD) is the date they must be supplied by; Sweep
// withdraws the application when it passes. An empty due keeps the dates
// each material was promised by (its own limit from the catalogue).
func (m *Module) AcceptWithShortfall(ctx context.Context, a *auth.Actor, id int64, due, comment string) (*Application, error) {
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := m.notCrossRegion(ctx, app, a); err != nil {
		return nil, err
	}
	if !app.ShortfallOpen {
		return nil, &FieldError{Path: "due", Message: "本件没有容缺材料 (no material is missing)"}
	}
	at := app.ShortfallDue
	if strings.TrimSpace(due) != "" {
		var ok bool
		if at, ok = m.parseDue(due, m.now()); !ok {
			return nil, &FieldError{Path: "due", Message: "补交日期须在今天以后、60日以内 (a date within 60 days is required)"}
		}
		// The window may bring the date forward, never past the limit the
		// item publishes for each missing material, counted from receipt.
		it, err := m.d.Catalog.Version(ctx, app.ItemCode, app.ItemVersion)
		if err != nil {
			return nil, fmt.Errorf("casework: item of %s: %w", app.Number, err)
		}
		for _, mt := range app.Materials {
			if !mt.Missing() || mt.Position >= len(it.Materials) {
				continue
			}
			days := it.Materials[mt.Position].SupplyDays()
			if limit := m.supplyLimit(app.SubmittedAt, days); at.After(limit) {
				return nil, &FieldError{Path: "due", Message: fmt.Sprintf("补交日期不得晚于本事项公布的容缺期限：%s须在%d个工作日内（%s前）补交 (not later than the published limit)",
					mt.Name, days, limit.In(cst).Format(time.DateOnly))}
			}
		}
	}
	var names []string
	for _, mt := range app.Materials {
		if mt.Missing() {
			names = append(names, mt.Name)
		}
	}
	s := step{action: "accept_shortfall", comment: strings.TrimSpace(comment), version: app.RowVersion,
		inputs: map[string]string{"materials": strings.Join(names, "、"), "due": at.In(cst).Format("2006-01-02")},
		change: func(ctx context.Context, tx store.Tx, app *Application, _ *flow.Instance) error {
			if strings.TrimSpace(due) == "" {
				return nil
			}
			app.ShortfallDue = at
			_, err := tx.ExecContext(ctx, `UPDATE casework_materials SET due_at = ? WHERE application_id = ? AND provision = ?
				AND supplied_at IS NULL`, at, app.ID, ProvideShortfall)
			return err
		}}
	return m.run(ctx, a, id, s)
}

// Refuse declines to take the application in (不予受理), with the reason.
func (m *Module) Refuse(ctx context.Context, a *auth.Actor, id int64, reason string) (*Application, error) {
	reason = strings.TrimSpace(reason)
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := m.notCrossRegion(ctx, app, a); err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: "refuse", comment: reason,
		change: func(_ context.Context, _ store.Tx, app *Application, _ *flow.Instance) error {
			app.Decision, app.DecisionReason, app.DecidedAt = "refuse", reason, m.now()
			app.DecidedBy, app.DecidedByName = actorID(a), actorName(a)
			return nil
		}})
}

// RequestCorrection asks the applicant to correct or add the materials
// listed (补正), once and completely (一次性告知). The clock pauses until
// they resubmit: before intake the window asks, during review the
// department.
func (m *Module) RequestCorrection(ctx context.Context, a *auth.Actor, id int64, materials, comment string) (*Application, error) {
	materials = strings.TrimSpace(materials)
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if err := m.notCrossRegion(ctx, app, a); err != nil {
		return nil, err
	}
	action := "ask_correction"
	if app.Status == StatusSubmitted || app.Status == StatusForwarded {
		action = "ask_intake_correction"
	}
	return m.run(ctx, a, id, step{action: action, inputs: map[string]string{"materials": materials},
		comment: strings.TrimSpace(comment),
		change: func(ctx context.Context, tx store.Tx, app *Application, inst *flow.Instance) error {
			// 一次性告知 (第三十二条): at each stage the applicant is told
			// once of everything; a second request would be a new demand.
			var asked int
			if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_history WHERE instance_id = ? AND action = ?",
				inst.ID, action).Scan(&asked); err != nil {
				return fmt.Errorf("casework: correction of %d: %w", app.ID, err)
			}
			if asked > 1 {
				return &FieldError{Path: "correction_once", Message: "补正须一次性告知，本阶段已告知过一次；材料仍不符合的，请受理、不予受理或作出决定 " +
					"(a correction is asked once and completely; it was asked already at this stage)"}
			}
			app.CorrectionNote = materials
			return nil
		}})
}

// Resubmit returns a corrected application (the clock runs again, its
// deadlines moved by the working days it was paused). files replace the
// materials at the given positions of the item's list.
func (m *Module) Resubmit(ctx context.Context, a *auth.Actor, id int64, files map[int]*Upload, comment string) (*Application, error) {
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	action := "resubmit"
	if app.Status == StatusIntakeCorrection {
		action = "resubmit_intake"
	}
	refs, err := checkFiles(app, files)
	if err != nil {
		return nil, err
	}
	return m.run(ctx, a, id, step{action: action, comment: strings.TrimSpace(comment),
		change: func(ctx context.Context, tx store.Tx, app *Application, _ *flow.Instance) error {
			app.CorrectionNote = ""
			return m.storeFiles(ctx, tx, app, files, refs, false)
		}})
}

// checkFiles checks uploads for the materials at their positions.
func checkFiles(app *Application, files map[int]*Upload) (map[int]*FileRef, error) {
	var p problems
	refs := map[int]*FileRef{}
	for pos, u := range files {
		path := fmt.Sprintf("materials[%d]", pos)
		if pos < 0 || pos >= len(app.Materials) {
			p.Add(path, "没有此材料 (no such material)")
			continue
		}
		ref, err := checkUpload(path, u)
		if err != nil {
			p = append(p, err)
			continue
		}
		refs[pos] = ref
	}
	return refs, p.Err()
}

// storeFiles stores checked uploads and points the materials at them; a
// supplied shortfall material is marked supplied and, when none is left
// missing, the shortfall closes.
func (m *Module) storeFiles(ctx context.Context, tx store.IDB, app *Application, files map[int]*Upload, refs map[int]*FileRef, supplied bool) error {
	now := m.now()
	for pos, ref := range refs {
		if err := putFile(ctx, tx, now, ref, files[pos].Data); err != nil {
			return err
		}
		mt := &app.Materials[pos]
		if mt.Missing() {
			mt.SuppliedAt = now
		}
		mt.Provision, mt.File = ProvideUpload, ref
		if _, err := tx.ExecContext(ctx, `UPDATE casework_materials SET provision = ?, file_sha256 = ?, file_name = ?,
			content_type = ?, size = ?, supplied_at = ? WHERE application_id = ? AND position = ?`,
			mt.Provision, ref.SHA256, ref.Name, ref.ContentType, ref.Size, nullable(mt.SuppliedAt), app.ID, pos); err != nil {
			return fmt.Errorf("casework: material %d: %w", pos, err)
		}
	}
	app.ShortfallOpen, app.ShortfallDue = shortfallState(app.Materials, app.ShortfallDue)
	return nil
}

// shortfallState says whether promised materials are still missing and,
// if so, the earliest date one of them is due by (each material keeps its
// own limit): the date Sweep acts on. keep is returned when none is open.
func shortfallState(ms []Material, keep time.Time) (bool, time.Time) {
	var first time.Time
	open := false
	for _, mt := range ms {
		if mt.Provision == ProvideShortfall && mt.SuppliedAt.IsZero() {
			open = true
			if !mt.DueAt.IsZero() && (first.IsZero() || mt.DueAt.Before(first)) {
				first = mt.DueAt
			}
		}
	}
	if !open || first.IsZero() {
		return open, keep
	}
	return open, first
}

// SupplyShortfall records the promised (容缺) material at position as
// supplied. It is not a workflow step: the application goes on where it
// is; once nothing is missing it may be approved and Sweep leaves it alone.
func (m *Module) SupplyShortfall(ctx context.Context, a *auth.Actor, id int64, position int, u *Upload) (*Application, error) {
	var app *Application
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if app, err = m.readable(ctx, tx, a, id); err != nil {
			return err
		}
		if err := m.d.Policy.Authorize(a, auth.ActAct, app.object()); err != nil {
			return ErrForbidden
		}
		if app.Status.Finished() {
			return ErrState
		}
		if position < 0 || position >= len(app.Materials) || !app.Materials[position].Missing() {
			return &FieldError{Path: fmt.Sprintf("materials[%d]", position), Message: "该材料无需补交 (nothing is owed for this material)"}
		}
		files := map[int]*Upload{position: u}
		refs, err := checkFiles(app, files)
		if err != nil {
			return err
		}
		if err := m.storeFiles(ctx, tx, app, files, refs, true); err != nil {
			return err
		}
		if err := m.save(ctx, tx, app); err != nil {
			return err
		}
		if err := m.audit(ctx, tx, a, "casework.supply_shortfall", app, map[string]any{"number": app.Number,
			"material": app.Materials[position].Name, "sha256": refs[position].SHA256, "shortfall_open": app.ShortfallOpen}); err != nil {
			return err
		}
		return outbox.Add(ctx, tx, m.now(), TopicChanged, m.event(app, "supply_shortfall"))
	})
	if err != nil {
		return nil, mapFlowError(err)
	}
	return app, nil
}

// Pass ends the review with the reviewer's opinion (审查意见); the
// application waits for the approver's decision.
func (m *Module) Pass(ctx context.Context, a *auth.Actor, id int64, opinion string) (*Application, error) {
	return m.run(ctx, a, id, step{action: "pass", inputs: map[string]string{"opinion": strings.TrimSpace(opinion)}})
}

// Withdraw withdraws the application at the applicant's request.
func (m *Module) Withdraw(ctx context.Context, a *auth.Actor, id int64, reason string) (*Application, error) {
	return m.run(ctx, a, id, step{action: "withdraw", comment: strings.TrimSpace(reason)})
}

// Decision is an approver's decision.
type Decision struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason" maxLength:"2000" doc:"Reasons of the decision, required either way"`
	// CertificateFields fill or override the fields of the certificate an
	// approval issues; the rest are taken from the form.
	CertificateFields map[string]string `json:"certificate_fields,omitempty"`
	Version           int64             `json:"version,omitempty" doc:"Row version seen; 0 skips the check"`
}

// Decide approves or rejects the application with reasons (准予 / 不予许可).
// An approval issues the item's e-certificate to the applicant and, for a
// commitment application, opens the verification task; it is refused
// while a promised material is missing (ErrShortfall).
func (m *Module) Decide(ctx context.Context, a *auth.Actor, id int64, d Decision) (*Application, error) {
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Reason == "" || utf8.RuneCountInString(d.Reason) > 2000 {
		return nil, &FieldError{Path: "reason", Message: "须写明决定理由，不超过2000字 (reasons are required)"}
	}
	app, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	it, err := m.d.Catalog.Version(ctx, app.ItemCode, app.ItemVersion)
	if err != nil {
		return nil, fmt.Errorf("casework: item of %s: %w", app.Number, err)
	}
	s := step{action: "reject", comment: d.Reason, version: d.Version}
	if d.Approve {
		s.action = "approve"
		s.change = func(ctx context.Context, tx store.Tx, app *Application, _ *flow.Instance) error {
			return m.approveApp(ctx, tx, a, it, app, d.Reason, d.CertificateFields)
		}
	} else {
		s.change = func(_ context.Context, _ store.Tx, app *Application, _ *flow.Instance) error {
			app.Decision, app.DecisionReason, app.DecidedAt = "reject", d.Reason, m.now()
			app.DecidedBy, app.DecidedByName = actorID(a), actorName(a)
			return nil
		}
	}
	return m.run(ctx, a, id, s)
}

// approveApp records an approval in tx: the decision, the certificate the
// item yields, and the verification task of a commitment application.
func (m *Module) approveApp(ctx context.Context, tx store.Tx, a *auth.Actor, it *catalog.Item, app *Application,
	reason string, certFields map[string]string) error {
	if app.ShortfallOpen {
		return ErrShortfall
	}
	now := m.now()
	app.Status = StatusApproved
	app.Decision, app.DecisionReason, app.DecidedAt = "approve", reason, now
	app.DecidedBy, app.DecidedByName = actorID(a), actorName(a)
	if it.CertificateType != "" {
		c, err := m.issue(ctx, tx, a, it, app, certFields)
		if err != nil {
			return err
		}
		if c != nil {
			app.CertificateID = c.ID
		}
	}
	if app.Commitment != nil {
		inst, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: VerificationFlow, SubjectType: SubjectVerification,
			SubjectID: app.ID, Reference: "HC" + app.Number,
			Title:      truncate("告知承诺核查："+app.ItemName+" · "+publicName(app.ApplicantKind, app.ApplicantName), 200),
			RegionCode: app.RegionCode, DepartmentIDs: []int64{app.DepartmentID}, Actor: a})
		if err != nil {
			return err
		}
		app.VerificationInstanceID = inst.ID
	}
	if _, err := m.issueNotice(ctx, tx, NoticeRequest{Kind: NoticeApproval, App: app, Reason: reason,
		ActorID: actorID(a), ActorName: actorName(a), At: now}); err != nil {
		return err
	}
	if err := m.save(ctx, tx, app); err != nil {
		return err
	}
	detail := map[string]any{"number": app.Number, "reason": reason, "certificate_id": app.CertificateID,
		"item": app.ItemCode, "item_version": app.ItemVersion}
	if app.IssuanceInstanceID != 0 {
		detail["issuance_instance_id"] = app.IssuanceInstanceID
	}
	if app.RuleVersion != 0 {
		detail["rule_version"], detail["rule_inputs"] = app.RuleVersion, app.RuleInputs
	}
	action := "casework.approve"
	if a.Has(auth.RoleSystem) {
		action = "casework.instant_approve"
	}
	if err := m.audit(ctx, tx, a, action, app, detail); err != nil {
		return err
	}
	ev := m.event(app, "approve")
	if app.IssuancePending() {
		ev.Notice = m.issuanceNotice(app)
	}
	return outbox.Add(ctx, tx, now, TopicDecided, ev)
}

// issue issues the certificate item it yields in tx to the holder the
// application names (holderFor), or opens a 待发证 task when it names none.
func (m *Module) issue(ctx context.Context, tx store.IDB, a *auth.Actor, it *catalog.Item, app *Application,
	overrides map[string]string) (*certificate.Certificate, error) {
	typ, err := m.d.Certs.GetType(ctx, tx, it.CertificateType)
	if errors.Is(err, certificate.ErrNotFound) {
		return nil, nil // a paper certificate: not issued electronically yet
	}
	if err != nil {
		return nil, fmt.Errorf("casework: certificate type %s of %s: %w", it.CertificateType, it.Code, err)
	}
	holder, ok, err := m.holderFor(typ, it, app)
	if err != nil {
		return nil, err
	}
	if !ok {
		// Such as a business licence for a person registering an
		// individual business, who gets its code only at registration:
		// the department names the holder in a 待发证 task.
		if err := m.startIssuance(ctx, tx, a, app); err != nil {
			return nil, err
		}
		return nil, nil
	}
	fields := certificateFields(typ, it, app, m.openForm(app.Form), overrides, m.now())
	c, err := m.d.Certs.Issue(ctx, tx, certificate.IssueInput{TypeCode: typ.Code, Holder: holder, Fields: fields,
		IssuerDepartmentID: app.DepartmentID, ApplicationRef: app.Number, Actor: a})
	if err != nil {
		return nil, fmt.Errorf("casework: issue certificate for %s: %w", app.Number, err)
	}
	return c, nil
}

// aliases lists, for a certificate field, the form fields that commonly
// hold its value.
var aliases = map[string][]string{
	"legal_representative": {"legal_representative", "operator_name", "legal_person", "responsible_person", "principal"},
	"address":              {"address", "premises", "location", "site"},
	"location":             {"location", "address", "premises", "site"},
	"place_name":           {"place_name", "trade_name", "name"},
	"items":                {"items", "scope", "business_items"},
	"scope":                {"scope", "items", "business_items"},
	"main_form":            {"main_form", "format", "form_of_business", "business_form"},
	"entity_type":          {"entity_type", "form_of_business"},
	"registered_capital":   {"registered_capital"},
	"project":              {"project", "project_name"},
	"scale":                {"scale", "area", "floor_area"},
	"area":                 {"area", "floor_area"},
	"builder":              {"builder", "contractor"},
	"form":                 {"ad_form", "form"},
	"size":                 {"size", "ad_size"},
}

// certificateFields fills the fields of a certificate of type typ from the
// decision's overrides, the form (same key, then common aliases) and, for
// required fields still empty, what the application itself says: the date
// of decision for dates, the applicant for names, and a reference to the
// application for the rest.
func certificateFields(typ *certificate.Type, it *catalog.Item, app *Application, form map[string]any,
	overrides map[string]string, now time.Time) map[string]string {
	out := map[string]string{}
	for _, f := range typ.Fields {
		if v := strings.TrimSpace(overrides[f.Key]); v != "" {
			out[f.Key] = v
			continue
		}
		keys := append([]string{f.Key}, aliases[f.Key]...)
		for _, k := range keys {
			if v, ok := form[k]; ok && it.Field(k) != nil && !sensitive(it.Field(k).Type) {
				if s := formString(v); s != "" {
					out[f.Key] = truncate(s, 500)
					break
				}
			}
		}
		if out[f.Key] != "" || !f.Required {
			continue
		}
		switch {
		case f.Type == "date":
			out[f.Key] = now.In(cst).Format("2006-01-02")
		case f.Type == "number":
			out[f.Key] = "0"
		case f.Key == "legal_representative" || f.Key == "place_name" || f.Key == "builder":
			out[f.Key] = app.ApplicantName
		case f.Key == "entity_type" && app.ApplicantKind == Person:
			out[f.Key] = "个体工商户"
		default:
			out[f.Key] = "详见办件" + app.Number + "（" + it.Name + "）"
		}
	}
	return out
}
