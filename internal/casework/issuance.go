package casework

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/store"
)

// IssuanceFlow is the definition of a 待发证 task: an approval whose
// e-certificate names a holder the application does not determine (a
// person registering an individual business gets the business's code only
// at registration). Its limit is 10 working days: 《行政许可法》第四十四条
// has the certificate issued within ten days of the decision, and 第八十二条
// counts those days as working days.
const IssuanceFlow = "casework.issuance"

// SubjectIssuance is the flow subject type of a 待发证 task.
const SubjectIssuance = "application_issuance"

// Names of form fields that name the business or the person a certificate
// is issued to when they are not the applicant.
var (
	businessNameKeys = []string{"enterprise_name", "company_name", "entity_name", "business_name", "trade_name", "name"}
	personNameKeys   = []string{"holder_name", "operator_name", "legal_representative", "person_name", "name"}
)

// holderFor works out to whom the certificate of type typ that item it
// yields for app is issued: the applicant when the type's holder is of the
// applicant's kind; otherwise the business (or person) the application
// names in its form by a valid code and a name. ok is false when it
// cannot be determined.
func (m *Module) holderFor(typ *certificate.Type, it *catalog.Item, app *Application) (certificate.Holder, bool, error) {
	if string(typ.HolderKind) == string(app.ApplicantKind) {
		holder := certificate.Enterprise(app.ApplicantName, app.ApplicantUSCC)
		if app.ApplicantKind == Person {
			idn, err := m.d.Box.Open(app.idEnc)
			if err != nil {
				return certificate.Holder{}, false, fmt.Errorf("casework: applicant of %s: %w", app.Number, err)
			}
			holder = certificate.Person(app.ApplicantName, idn)
		}
		holder.UserID = app.ApplicantUserID
		return holder, true, nil
	}
	form := m.openForm(app.Form)
	value := func(t catalog.FieldType, keys []string) string {
		for _, f := range it.Fields {
			if f.Type == t {
				if s := strings.TrimSpace(formString(form[f.Key])); s != "" {
					return s
				}
			}
		}
		for _, k := range keys {
			if f := it.Field(k); f != nil && f.Type == catalog.FieldText {
				if s := strings.TrimSpace(formString(form[k])); s != "" {
					return s
				}
			}
		}
		return ""
	}
	switch {
	case typ.HolderKind == certificate.HolderEnterprise:
		code := ids.NormalizeUSCC(value(catalog.FieldUSCC, nil))
		name := value("", businessNameKeys)
		if code == "" || ids.ValidateUSCC(code) != nil || name == "" {
			return certificate.Holder{}, false, nil
		}
		return certificate.Enterprise(truncate(name, 100), code), true, nil
	case typ.HolderKind == certificate.HolderPerson:
		code := ids.NormalizeCitizenID(value(catalog.FieldIDNumber, nil))
		name := value("", personNameKeys)
		if code == "" || ids.ValidateCitizenID(code) != nil || name == "" {
			return certificate.Holder{}, false, nil
		}
		return certificate.Person(truncate(name, 100), code), true, nil
	}
	return certificate.Holder{}, false, nil
}

// startIssuance opens the 待发证 task of app in the owning department's
// inbox, in tx.
func (m *Module) startIssuance(ctx context.Context, tx store.IDB, a *auth.Actor, app *Application) error {
	inst, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: IssuanceFlow, SubjectType: SubjectIssuance,
		SubjectID: app.ID, Reference: "FZ" + app.Number,
		Title:      truncate("待发证："+app.ItemName+" · "+publicName(app.ApplicantKind, app.ApplicantName), 200),
		RegionCode: app.RegionCode, DepartmentIDs: []int64{app.DepartmentID}, OwnerUserID: app.ApplicantUserID, Actor: a,
		Comment: "准予许可，证照持证主体须由发证部门确认后发证。"})
	if err != nil {
		return fmt.Errorf("casework: 待发证 task of %s: %w", app.Number, err)
	}
	app.IssuanceInstanceID = inst.ID
	app.issuanceDue = inst.StateDueAt
	return nil
}

// IssuancePending reports whether app waits for its certificate (待发证).
func (a *Application) IssuancePending() bool {
	return a.IssuanceInstanceID != 0 && a.CertificateID == 0
}

// IssueInput is what the department gives to issue a pending certificate:
// the holder the certificate names, by name and code (统一社会信用代码 for a
// business, 身份证号码 for a person).
type IssueInput struct {
	HolderName string            `json:"holder_name" maxLength:"100"`
	HolderCode string            `json:"holder_code" maxLength:"18"`
	Fields     map[string]string `json:"certificate_fields,omitempty"`
}

// IssuePending issues the certificate of approved application id, waiting
// in a 待发证 task, to the holder the department names, and closes the task.
func (m *Module) IssuePending(ctx context.Context, a *auth.Actor, id int64, in IssueInput) (*Application, error) {
	var p problems
	in.HolderName = strings.TrimSpace(in.HolderName)
	if in.HolderName == "" || utf8.RuneCountInString(in.HolderName) > 100 {
		p.Add("holder_name", "请填写持证主体名称，不超过100字")
	}
	var app *Application
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if app, err = m.readable(ctx, tx, a, id); err != nil {
			return err
		}
		if err := m.d.Policy.Authorize(a, auth.ActAct, app.object()); err != nil || !a.HasAny(auth.RoleHandler, auth.RoleApprover) {
			return ErrForbidden
		}
		if !app.IssuancePending() {
			return ErrState
		}
		it, err := m.d.Catalog.Version(ctx, app.ItemCode, app.ItemVersion)
		if err != nil {
			return fmt.Errorf("casework: item of %s: %w", app.Number, err)
		}
		typ, err := m.d.Certs.GetType(ctx, tx, it.CertificateType)
		if err != nil {
			return fmt.Errorf("casework: certificate type of %s: %w", app.Number, err)
		}
		var holder certificate.Holder
		if typ.HolderKind == certificate.HolderEnterprise {
			code := ids.NormalizeUSCC(in.HolderCode)
			if ids.ValidateUSCC(code) != nil {
				p.Add("holder_code", "统一社会信用代码有误")
			}
			holder = certificate.Enterprise(in.HolderName, code)
		} else {
			code := ids.NormalizeCitizenID(in.HolderCode)
			if ids.ValidateCitizenID(code) != nil {
				p.Add("holder_code", "身份证号码有误")
			}
			holder = certificate.Person(in.HolderName, code)
		}
		if len(p) > 0 {
			return p.Err()
		}
		if _, err := m.d.Flow.Do(ctx, tx, app.IssuanceInstanceID, "issue", a,
			map[string]string{"holder_name": in.HolderName, "holder_code": maskID(in.HolderCode)}, ""); err != nil {
			return err
		}
		fields := certificateFields(typ, it, app, m.openForm(app.Form), in.Fields, m.now())
		c, err := m.d.Certs.Issue(ctx, tx, certificate.IssueInput{TypeCode: typ.Code, Holder: holder, Fields: fields,
			IssuerDepartmentID: app.DepartmentID, ApplicationRef: app.Number, Actor: a})
		if err != nil {
			return fmt.Errorf("casework: issue certificate for %s: %w", app.Number, err)
		}
		app.CertificateID = c.ID
		if err := m.save(ctx, tx, app); err != nil {
			return err
		}
		if err := m.audit(ctx, tx, a, "casework.issue_pending", app, map[string]any{"number": app.Number,
			"certificate_id": c.ID, "holder_name": in.HolderName}); err != nil {
			return err
		}
		ev := m.event(app, "issued")
		ev.Notice = "电子证照（" + typ.Name + "，编号" + c.Number + "）已发放。"
		return outbox.Add(ctx, tx, m.now(), TopicChanged, ev)
	})
	if err != nil {
		return nil, mapFlowError(err)
	}
	return app, nil
}

// issuanceNotice is what the applicant is told when the certificate waits
// for the department: by which date it comes.
func (m *Module) issuanceNotice(app *Application) string {
	if app.issuanceDue.IsZero() {
		return "电子证照由发证部门确认持证主体后发放。"
	}
	return "电子证照由发证部门确认持证主体后发放，最迟" + app.issuanceDue.In(cst).Format("2006年1月2日") + "前发放。"
}
