package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/flow"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/org"
	"github.com/yingshang/yingshang/internal/outbox"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// Outbox topics the module writes (the workflow engine writes its own).
const (
	TopicSubmitted = "casework.submitted"
	TopicChanged   = "casework.changed"
	TopicDecided   = "casework.decided"
)

// ApplicantInput names the applicant when a window clerk applies on their
// behalf (帮办代办): a person by name and identity number, an enterprise by
// name and unified social credit code.
type ApplicantInput struct {
	Kind     ApplicantKind `json:"kind" enum:"person,enterprise"`
	Name     string        `json:"name" maxLength:"100"`
	IDNumber string        `json:"id_number,omitempty" maxLength:"18"`
	USCC     string        `json:"uscc,omitempty" maxLength:"18"`
}

// MaterialInput says how the applicant provides one material of the item,
// named as in the catalogue: by upload; for a shared (共享) material by
// consenting to the use of their e-certificate (optionally naming it); for
// a shortfall (容缺) material by promising it; or, where the item allows,
// by the commitment.
type MaterialInput struct {
	Name          string  `json:"name" maxLength:"200"`
	File          *Upload `json:"file,omitempty"`
	CertificateID int64   `json:"certificate_id,omitempty" doc:"The held certificate to use; 0 finds the one in force"`
	Consent       bool    `json:"consent,omitempty" doc:"The holder consents to the department using the certificate"`
	// ConsentMethod is required when a window clerk applies for the
	// holder: how the holder consented (in_person: confirmed at the window;
	// signed_form: a signed authorisation, whose scan is ConsentScan).
	ConsentMethod ConsentMethod `json:"consent_method,omitempty" enum:"in_person,signed_form," doc:"How the holder consented, when a window clerk applies for them"`
	ConsentScan   *Upload       `json:"consent_scan,omitempty" doc:"Scan of the signed authorisation (signed_form)"`
	Shortfall     bool          `json:"shortfall,omitempty" doc:"Promise to supply it by shortfall_due (容缺)"`
	Commitment    bool          `json:"commitment,omitempty" doc:"Replace it by the signed commitment (告知承诺)"`
	// CreditReport chooses, for a material satisfied by the credit report
	// (无违法违规记录证明), the business's signed 专用信用报告 by its
	// verification token or link; empty takes the newest one that
	// satisfies the material.
	CreditReport string `json:"credit_report,omitempty" maxLength:"300" doc:"Verification token or link of the 专用信用报告 to use; empty: the newest that satisfies the material"`

	// producedBy names the item of the same bundle that produces this
	// shared material (set by SubmitBundle only, never by a client).
	producedBy string
}

// SubmitInput is an application as made.
type SubmitInput struct {
	ItemCode string `json:"item_code" maxLength:"40"`
	// Applicant is required when a window clerk applies on someone's behalf
	// and ignored otherwise: citizens and enterprises apply as themselves.
	Applicant *ApplicantInput `json:"applicant,omitempty"`
	// EnterpriseName is the enterprise's registered name when an
	// enterprise user applies; empty uses the account's display name.
	EnterpriseName string            `json:"enterprise_name,omitempty" maxLength:"100"`
	Form           map[string]string `json:"form"`
	Materials      []MaterialInput   `json:"materials"`
	// ShortfallDue is the date (YYYY-MM-DD) promised materials will be
	// supplied by.
	ShortfallDue string `json:"shortfall_due,omitempty"`
	// Sign signs the commitment (告知承诺书) shown by CommitmentText;
	// Signer is the name signed with.
	Sign            bool     `json:"sign,omitempty"`
	Signer          string   `json:"signer,omitempty" maxLength:"100"`
	Delivery        Delivery `json:"delivery,omitempty" enum:"online,window,post,"`
	DeliveryAddress string   `json:"delivery_address,omitempty" maxLength:"300"`
	// Renews is the applicant's certificate in force this application
	// renews (延续), 0 for a first application.
	Renews int64 `json:"renews_certificate_id,omitempty" doc:"The applicant's certificate in force that this application renews (延续)"`
}

// CommitmentText returns the commitment (告知承诺书) an applicant signs for
// item in place of the replaced materials.
func CommitmentText(it *catalog.Item, applicant string, replaced []string) string {
	cond := strings.TrimSpace(it.Conditions)
	if cond == "" {
		cond = "按办事指南所列条件"
	}
	return fmt.Sprintf("承诺人%s就申请“%s”（事项编码 %s，第%d版）郑重承诺：一、已知晓审批部门告知的全部条件和要求：%s"+
		"二、本人（本单位）符合上述条件，所填信息真实、准确、完整；以承诺代替提交的材料为：%s。"+
		"三、愿意接受审批部门的事中事后核查。四、如承诺不实，愿意承担撤销许可决定、记入信用记录等法律责任。",
		applicant, it.Name, it.Code, it.Version, cond, strings.Join(replaced, "、"))
}

// applicant is the resolved applicant.
type applicant struct {
	kind     ApplicantKind
	userID   int64
	name     string
	idNumber string
	uscc     string
	agent    *auth.Actor
}

func (p applicant) subject() Subject {
	return Subject{Kind: p.kind, USCC: p.uscc, IDNumber: p.idNumber, Name: p.name}
}

func (p applicant) holder() certificate.Holder {
	if p.kind == Enterprise {
		h := certificate.Enterprise(p.name, p.uscc)
		h.UserID = p.userID
		return h
	}
	h := certificate.Person(p.name, p.idNumber)
	h.UserID = p.userID
	return h
}

// resolveApplicant works out who applies: the actor, or for a window
// clerk the person or enterprise named in in (found as a platform user by
// number, so they can follow the application online).
func (m *Module) resolveApplicant(ctx context.Context, a *auth.Actor, in *SubmitInput, p *problems) (applicant, error) {
	switch {
	case a.Has(auth.RoleClerk):
		ai := in.Applicant
		if ai == nil {
			p.Add("applicant", "代办须填写申请人 (the applicant is required)")
			return applicant{}, nil
		}
		ap := applicant{kind: ai.Kind, name: strings.TrimSpace(ai.Name), agent: a}
		if ap.name == "" || utf8.RuneCountInString(ap.name) > 100 {
			p.Add("applicant.name", "申请人名称必填，不超过100字 (name required, at most 100 characters)")
		}
		var users []org.User
		var err error
		switch ai.Kind {
		case Person:
			ap.idNumber = ids.NormalizeCitizenID(ai.IDNumber)
			if ids.ValidateCitizenID(ap.idNumber) != nil {
				p.Add("applicant.id_number", "身份证号码有误 (invalid identity number, GB 11643)")
				return ap, nil
			}
			users, err = m.d.Org.FindByCitizenID(ctx, ap.idNumber)
		case Enterprise:
			ap.uscc = ids.NormalizeUSCC(ai.USCC)
			if ids.ValidateUSCC(ap.uscc) != nil {
				p.Add("applicant.uscc", "统一社会信用代码有误 (invalid USCC, GB 32100)")
				return ap, nil
			}
			users, _, err = m.d.Org.ListUsers(ctx, org.UserFilter{USCC: ap.uscc, Role: auth.RoleEnterprise})
		default:
			p.Add("applicant.kind", "申请人须为自然人或企业 (person or enterprise)")
			return ap, nil
		}
		if err != nil {
			return ap, err
		}
		for _, u := range users {
			if u.Has(auth.RoleCitizen) || u.Has(auth.RoleEnterprise) {
				ap.userID = u.ID
				break
			}
		}
		return ap, nil
	case a.Has(auth.RoleEnterprise):
		name := strings.TrimSpace(in.EnterpriseName)
		if name == "" {
			name = a.Name
		}
		if a.USCC == "" {
			return applicant{}, fmt.Errorf("casework: enterprise user %d without a USCC: %w", a.UserID, ErrForbidden)
		}
		return applicant{kind: Enterprise, userID: a.UserID, name: name, uscc: ids.NormalizeUSCC(a.USCC)}, nil
	case a.Has(auth.RoleCitizen):
		rev, err := m.d.Org.Reveal(ctx, m.d.DB, a.UserID)
		if err != nil {
			return applicant{}, err
		}
		if rev.CitizenID == "" {
			p.Add("applicant.id_number", "请先在账户中登记身份证号码 (register your identity number first)")
		}
		return applicant{kind: Person, userID: a.UserID, name: a.Name, idNumber: ids.NormalizeCitizenID(rev.CitizenID)}, nil
	}
	return applicant{}, ErrForbidden
}

// plannedMaterial is a material with what the transaction must do for it.
type plannedMaterial struct {
	Material
	upload *Upload
	scan   *Upload                  // the holder's signed authorisation, for a clerk
	cert   *certificate.Certificate // shared: the certificate to use
	ask    bool                     // shared: ask the owning department
}

// Submit makes an application for the published item in.ItemCode as actor
// a: a citizen or enterprise for themselves, a window clerk for the
// applicant in.Applicant. The form is checked against the item's fields and
// every material against its class; on any problem nothing is stored and
// every problem is reported at once (*FieldError, matching ErrInvalid).
//
// Shared materials are satisfied by the applicant's e-certificate in force,
// used by the owning department with the holder's consent (given with the
// submission, and logged), or, when no certificate exists, asked of the
// department owning it (部门核验). When the item has an approval rule and
// the rule approves, the application is accepted, approved and its
// certificate issued at once by the system in the same transaction (秒批).
func (m *Module) Submit(ctx context.Context, a *auth.Actor, in SubmitInput) (*Application, error) {
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	it, err := m.d.Catalog.Published(ctx, in.ItemCode)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, &FieldError{Path: "item_code", Message: "事项不存在或未发布 (no such published item)"}
	}
	if err != nil {
		return nil, err
	}
	if err := m.ensureDefinition(ctx, limitsOf(it)); err != nil {
		return nil, err
	}
	plan, err := m.prepare(ctx, a, it, &in)
	if err != nil {
		return nil, err
	}
	var app *Application
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		app = plan.app
		return m.write(ctx, tx, a, it, plan)
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// submission is a checked application ready to be written.
type submission struct {
	app       *Application
	who       applicant
	materials []plannedMaterial
	form      map[string]any // typed, plain
	instant   *RuleOutcome   // the rule approved
	// bundleHeld: the materials the bundle produces are in hand (their
	// producer was approved at once in the same bundle submission).
	bundleHeld bool
	renews     *certificate.Certificate // the certificate renewed (延续)
}

// prepare checks everything and reads what the transaction needs, writing
// nothing.
func (m *Module) prepare(ctx context.Context, a *auth.Actor, it *catalog.Item, in *SubmitInput) (*submission, error) {
	var p problems
	who, err := m.resolveApplicant(ctx, a, in, &p)
	if err != nil {
		return nil, err
	}
	now := m.now()
	intake := it.RegionCode
	if a.Has(auth.RoleClerk) {
		intake = a.RegionCode
		if !offeredIn(it, intake) {
			p.Add("item_code", "该事项不能在本地受理（不支持跨域通办）(this item cannot be taken in here)")
		}
	} else if !it.Online {
		p.Add("item_code", "该事项须到窗口办理 (this item must be applied for at a window)")
	}
	form := checkForm(it.Fields, in.Form, &p)

	delivery := in.Delivery
	if delivery == "" {
		delivery = DeliverOnline
	}
	addr := strings.TrimSpace(in.DeliveryAddress)
	switch {
	case !delivery.Valid():
		p.Add("delivery", "送达方式须为网上、窗口或邮寄 (online, window or post)")
	case delivery == DeliverPost && (addr == "" || utf8.RuneCountInString(addr) > 300):
		p.Add("delivery_address", "邮寄送达须填写地址，不超过300字 (a postal address is required)")
	}
	if delivery != DeliverPost {
		addr = ""
	}

	app := &Application{ItemCode: it.Code, ItemVersion: it.Version, ItemName: it.Name, ApplicantKind: who.kind,
		ApplicantUserID: who.userID, ApplicantName: who.name, ApplicantUSCC: who.uscc,
		IntakeRegion: intake, RegionCode: it.RegionCode, DepartmentID: it.DepartmentID, Status: StatusSubmitted,
		Delivery: delivery, DeliveryAddress: addr, SubmittedAt: now, UpdatedAt: now}
	if who.agent != nil {
		app.AgentUserID, app.AgentName = who.agent.UserID, who.agent.Name
	}
	if who.idNumber != "" {
		app.idEnc, app.idIndex = m.d.Box.Seal(who.idNumber), m.d.Box.Index(who.idNumber)
		app.ApplicantIDMasked = maskID(who.idNumber)
	}

	// Materials, by the item's list.
	given := map[string]*MaterialInput{}
	for i := range in.Materials {
		mi := &in.Materials[i]
		if it.Material(mi.Name) == nil {
			p.Add(fmt.Sprintf("materials[%d]", i), "事项没有此材料：%s (no such material)", mi.Name)
			continue
		}
		given[mi.Name] = mi
	}
	var plan []plannedMaterial
	var replaced []string
	shortfall := false
	for i, mt := range it.Materials {
		path := fmt.Sprintf("materials[%d]", i)
		mi := given[mt.Name]
		if mi == nil {
			mi = &MaterialInput{Name: mt.Name}
		}
		pm := plannedMaterial{Material: Material{Position: i, Name: mt.Name, Class: mt.Class, Provision: ProvideNone}}
		switch {
		case mi.File != nil && len(mi.File.Data) > 0:
			ref, err := checkUpload(path, mi.File)
			if err != nil {
				p = append(p, err)
				continue
			}
			pm.Provision, pm.File, pm.upload = ProvideUpload, ref, mi.File
		case m.isReportMaterial(&mt):
			pm.CertificateType = mt.CertificateType
			rule, _ := m.reportRule(&mt)
			if err := m.planReport(ctx, who, rule, mi, &pm, path, &p); err != nil {
				return nil, err
			}
		case mt.Class == catalog.ClassShared && mi.producedBy != "":
			// The bundle's own result: the department takes it from the
			// certificate the producing item issues.
			pm.CertificateType, pm.Provision = mt.CertificateType, ProvideBundle
		case mt.Class == catalog.ClassShared:
			pm.CertificateType = mt.CertificateType
			if err := m.planShared(ctx, who, it, mi, &pm, path, &p); err != nil {
				return nil, err
			}
		case mi.Commitment:
			if !it.Commitment || !mt.CommitmentReplaceable {
				p.Add(path, "该材料不能以承诺代替 (this material cannot be replaced by the commitment)")
				continue
			}
			pm.Provision = ProvideCommitment
			replaced = append(replaced, mt.Name)
		case mi.Shortfall:
			if mt.Class != catalog.ClassShortfall {
				p.Add(path, "该材料不适用容缺受理 (this material may not be missing)")
				continue
			}
			pm.Provision, shortfall = ProvideShortfall, true
		case mt.Class == catalog.ClassRequired:
			p.Add(path, "缺少必要材料：%s (required material missing)", mt.Name)
			continue
		case mt.Class == catalog.ClassShortfall:
			p.Add(path, "请提交%s，或承诺在期限内补交（容缺）(submit it or promise it)", mt.Name)
			continue
		}
		plan = append(plan, pm)
	}
	if shortfall {
		// Each promised material is due within its own limit (the
		// catalogue's working days), unless the applicant names one date.
		var due time.Time
		ok := true
		if strings.TrimSpace(in.ShortfallDue) != "" {
			if due, ok = m.parseDue(in.ShortfallDue, now); !ok {
				p.Add("shortfall_due", "补交日期须在今天以后、60日以内，格式 YYYY-MM-DD")
			}
		}
		for i := range plan {
			if plan[i].Provision != ProvideShortfall {
				continue
			}
			mt := it.Materials[plan[i].Position]
			plan[i].DueAt = store.Time(m.d.Calendar().AddWorkingDays(now, mt.SupplyDays()))
			if due.IsZero() {
				continue
			}
			if limit := m.supplyLimit(now, mt.SupplyDays()); due.After(limit) {
				p.Add("shortfall_due", "补交日期不得晚于本事项公布的容缺期限：%s须在%d个工作日内（%s前）补交 (not later than the published limit)",
					mt.Name, mt.SupplyDays(), limit.In(cst).Format(time.DateOnly))
				continue
			}
			plan[i].DueAt = due
		}
		var ms []Material
		for _, pm := range plan {
			ms = append(ms, pm.Material)
		}
		app.ShortfallOpen, app.ShortfallDue = shortfallState(ms, due)
	}
	if len(replaced) > 0 {
		signer := strings.TrimSpace(in.Signer)
		if !in.Sign || signer == "" || utf8.RuneCountInString(signer) > 100 {
			p.Add("commitment", "以承诺代替材料须签署告知承诺书 (sign the commitment)")
		} else {
			var bad bool
			var err error
			if cc, ok := m.d.Credit.(CommitmentChecker); ok {
				bad, err = cc.CommitmentRefused(ctx, who.subject())
			} else {
				bad, err = m.d.Credit.SeriousViolation(ctx, who.subject())
			}
			if err != nil {
				return nil, err
			}
			if bad {
				p = append(p, ErrCommitmentRefused)
			}
			text := CommitmentText(it, who.name, replaced)
			sum := sha256.Sum256([]byte(text))
			app.Commitment = &Commitment{Text: text, SHA256: hex.EncodeToString(sum[:]), Signer: signer, SignedAt: now}
		}
	}
	var renews *certificate.Certificate
	if in.Renews != 0 {
		c, err := m.d.Certs.ValidFor(ctx, m.d.DB, who.holder().HolderRef, it.CertificateType, now)
		if err != nil || c.ID != in.Renews {
			p.Add("renews_certificate_id", "要延续的证照不在有效期内、不属于申请人或不由本事项发放")
		} else {
			renews = c
		}
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	app.Form = m.sealForm(it.Fields, form)
	sub := &submission{app: app, who: who, materials: plan, form: form, renews: renews}
	if err := m.tryRule(ctx, it, sub); err != nil {
		return nil, err
	}
	return sub, nil
}

// offeredIn reports whether item it may be taken in within region.
func offeredIn(it *catalog.Item, region string) bool {
	if it.CrossRegion || ids.RegionContains(it.RegionCode, region) {
		return true
	}
	return slices.ContainsFunc(it.ScopeRegions, func(r string) bool { return ids.RegionContains(r, region) })
}

// parseDue reads a promised date: after today and within 60 days. The
// deadline is the end of that day, China time.
func (m *Module) parseDue(s string, now time.Time) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), cst)
	if err != nil {
		return time.Time{}, false
	}
	end := store.Time(d.Add(24*time.Hour - time.Microsecond).UTC())
	if !end.After(now.Add(24*time.Hour)) || end.After(now.AddDate(0, 0, 61)) {
		return time.Time{}, false
	}
	return end, true
}

// supplyLimit is the end of the published time to supply a 容缺 material
// with a limit of days working days, promised at from: the latest date the
// applicant or the window may name (the item's limit, never their choice).
func (m *Module) supplyLimit(from time.Time, days int) time.Time {
	return m.d.Calendar().Deadline(from, calendar.Limit{N: days, Unit: calendar.WorkingDays})
}

// supplyDate returns the date a material with a limit of days working
// days, promised now, is due by.
func (m *Module) supplyDate(days int) string {
	return m.d.Calendar().AddWorkingDays(m.now(), days).In(cst).Format(time.DateOnly)
}

// DefaultShortfallDue returns the date suggested for promised materials:
// five working days from now.
func (m *Module) DefaultShortfallDue() string {
	return m.d.Calendar().AddWorkingDays(m.now(), 5).In(cst).Format(time.DateOnly)
}

// planShared decides how a shared material is provided: the applicant's
// certificate in force (consent required), or a verification request to
// the owning department when there is none or the holder is not the
// applicant.
func (m *Module) planShared(ctx context.Context, who applicant, it *catalog.Item, mi *MaterialInput, pm *plannedMaterial,
	path string, p *problems) error {
	typ, err := m.d.Certs.GetType(ctx, m.d.DB, pm.CertificateType)
	if err != nil || string(typ.HolderKind) != string(who.kind) {
		// Not an applicant's certificate (say, a legal representative's
		// identity card for an enterprise), or a type not catalogued:
		// the department checks it with its owner.
		pm.Provision = ProvideVerification
		return nil
	}
	var cert *certificate.Certificate
	if mi.CertificateID != 0 {
		c, err := m.d.Certs.ValidFor(ctx, m.d.DB, who.holder().HolderRef, typ.Code, m.now())
		if err == nil && c.ID == mi.CertificateID {
			cert = c
		} else {
			p.Add(path, "所选证照不在有效期内或不属于申请人 (the chosen certificate is not in force or not the applicant's)")
			return nil
		}
	} else {
		c, err := m.d.Certs.ValidFor(ctx, m.d.DB, who.holder().HolderRef, typ.Code, m.now())
		switch {
		case errors.Is(err, certificate.ErrNotFound):
		case err != nil:
			var fe *certificate.FieldError
			if errors.As(err, &fe) {
				pm.Provision = ProvideVerification
				return nil
			}
			return err
		default:
			cert = c
		}
	}
	if cert == nil {
		pm.Provision, pm.ask = ProvideVerification, typ.IssuerDepartmentID != it.DepartmentID
		return nil
	}
	if who.agent != nil {
		// A clerk applies for the holder, who is not at the keyboard: the
		// clerk records how the holder consented (GrantConsent records it
		// as given by the system on that record).
		switch mi.ConsentMethod {
		case ConsentInPerson:
		case ConsentSignedForm:
			if mi.ConsentScan == nil || len(mi.ConsentScan.Data) == 0 {
				p.Add(path, "选择签字授权书的，请上传持证人签字的授权书扫描件")
				return nil
			}
			ref, err := checkUpload(path, mi.ConsentScan)
			if err != nil {
				*p = append(*p, err)
				return nil
			}
			pm.ConsentFile, pm.scan = ref, mi.ConsentScan
		default:
			p.Add(path, "申请人持有电子证照“%s”（%s）：请记录持证人同意使用的方式（当面确认或签字授权书），或改为上传该材料", typ.Name, cert.Number)
			return nil
		}
		pm.ConsentMethod = mi.ConsentMethod
	} else if !mi.Consent {
		p.Add(path, "请勾选同意审批部门使用您的电子证照“%s”（%s），或改为上传该材料", typ.Name, cert.Number)
		return nil
	}
	pm.Provision, pm.cert, pm.CertificateID = ProvideCertificate, cert, cert.ID
	return nil
}

// tryRule evaluates the item's instant-approval rule when the application
// is complete enough for one: every material in hand (no shortfall, no
// verification, no commitment). An undecided rule leaves it to a human.
func (m *Module) tryRule(ctx context.Context, it *catalog.Item, sub *submission) error {
	if m.d.Rules == nil || it.Rule == nil || strings.TrimSpace(it.Rule.Expr) == "" || sub.app.Commitment != nil {
		return nil
	}
	var held []string
	for _, pm := range sub.materials {
		switch pm.Provision {
		case ProvideShortfall, ProvideVerification, ProvideCommitment:
			return nil
		case ProvideBundle:
			if !sub.bundleHeld {
				return nil
			}
			held = append(held, pm.CertificateType)
		case ProvideCertificate:
			held = append(held, pm.CertificateType)
			if mt := it.Material(pm.Name); mt != nil && mt.CertificateType != pm.CertificateType {
				held = append(held, mt.CertificateType)
			}
		}
	}
	subj := sub.who.subject()
	class, err := m.d.Credit.Class(ctx, subj)
	if err != nil {
		return err
	}
	bad, err := m.d.Credit.SeriousViolation(ctx, subj)
	if err != nil {
		return err
	}
	out, err := m.d.Rules.Evaluate(ctx, *it.Rule, it.Fields, RuleInput{Form: sub.form, Credit: class, SeriousViolation: bad,
		Certificates: held, ApplicantKind: sub.who.kind, Region: sub.app.IntakeRegion, Agent: sub.who.agent != nil, Now: m.now()})
	if err != nil {
		// A rule that fails to run must not block the application.
		return nil
	}
	if out.Approve {
		sub.instant = &out
	}
	return nil
}

// write stores a prepared application in tx, starts its workflow and,
// when the rule approved, decides it at once.
func (m *Module) write(ctx context.Context, tx store.Tx, a *auth.Actor, it *catalog.Item, sub *submission) error {
	app, now := sub.app, m.now()
	if err := m.d.Policy.Authorize(a, auth.ActCreate, app.object()); err != nil {
		return fmt.Errorf("casework: submit: %w", ErrForbidden)
	}
	var err error
	if app.Number, err = nextNumber(ctx, tx, app.IntakeRegion, now); err != nil {
		return err
	}
	sys := auth.System()
	var consents []map[string]any // how holders consented, when a clerk applied
	var notes []string
	for i := range sub.materials {
		pm := &sub.materials[i]
		switch {
		case pm.upload != nil:
			if err := putFile(ctx, tx, now, pm.File, pm.upload.Data); err != nil {
				return err
			}
		case pm.cert != nil:
			// The holder's consent, for this certificate and the owning
			// department; given by the applicant, or recorded by the system
			// on the applicant's written authorisation at the window.
			granter, purpose := a, "办理“"+it.Name+"”免交"+pm.Name
			if sub.who.agent != nil {
				granter = sys
				purpose += "（窗口代办，" + pm.ConsentMethod.Name() + "，经办人" + sub.who.agent.Name + "）"
				if pm.scan != nil {
					if err := putFile(ctx, tx, now, pm.ConsentFile, pm.scan.Data); err != nil {
						return err
					}
				}
				consents = append(consents, map[string]any{"material": pm.Name, "certificate": pm.cert.Number,
					"method": string(pm.ConsentMethod), "scan": fileSHA(pm.ConsentFile)})
				notes = append(notes, pm.Name+"使用电子证照"+pm.cert.Number+"："+pm.ConsentMethod.Name())
			}
			consent, err := m.d.Certs.GrantConsent(ctx, tx, certificate.ConsentInput{Holder: sub.who.holder().HolderRef,
				CertificateID: pm.cert.ID, DepartmentID: it.DepartmentID, Purpose: truncate(purpose, 200),
				Actor: granter})
			if err != nil {
				return err
			}
			pm.ConsentID = consent.ID
			if _, err := m.d.Certs.Use(ctx, tx, certificate.UseInput{CertificateID: pm.cert.ID, DepartmentID: it.DepartmentID,
				Actor: sys, ApplicationRef: app.Number, Purpose: truncate(it.Name+"：免交"+pm.Name, 200), ConsentID: consent.ID}); err != nil {
				return err
			}
		case pm.ask:
			v, err := m.d.Certs.RequestVerification(ctx, tx, certificate.VerificationRequest{FromDepartmentID: it.DepartmentID,
				TypeCode: pm.CertificateType, Holder: sub.who.holder(), ApplicationRef: app.Number, Actor: sys,
				Question: truncate("申请人申请“"+it.Name+"”，请核验其"+pm.Name+"是否真实有效。", 1000)})
			if err != nil {
				return err
			}
			pm.VerificationID = v.ID
		}
		app.Materials = append(app.Materials, pm.Material)
	}
	if err := insertApp(ctx, tx, app); err != nil {
		return err
	}
	inst, err := m.d.Flow.Start(ctx, tx, flow.StartInput{DefinitionKey: definitionKey(limitsOf(it)),
		SubjectType: SubjectType, SubjectID: app.ID, Reference: app.Number,
		Title:      truncate(it.Name+" · "+publicName(app.ApplicantKind, app.ApplicantName), 200),
		RegionCode: app.IntakeRegion, DepartmentIDs: []int64{app.DepartmentID}, OwnerUserID: app.ApplicantUserID, Actor: a,
		Comment: startComment(sub.renews, notes)})
	if err != nil {
		return err
	}
	app.InstanceID = inst.ID
	if _, err := tx.ExecContext(ctx, `UPDATE casework_applications SET instance_id = ? WHERE id = ?`, inst.ID, app.ID); err != nil {
		return fmt.Errorf("casework: submit: %w", err)
	}
	detail := map[string]any{"number": app.Number, "item": app.ItemCode, "version": app.ItemVersion,
		"materials": len(app.Materials), "commitment": app.Commitment != nil, "shortfall": app.ShortfallOpen}
	if app.AgentUserID != 0 {
		detail["agent"] = app.AgentName
	}
	if len(consents) > 0 {
		detail["consents"] = consents
	}
	if sub.renews != nil {
		detail["renews"] = sub.renews.Number
	}
	if err := m.audit(ctx, tx, a, "casework.submit", app, detail); err != nil {
		return err
	}
	if err := outbox.Add(ctx, tx, now, TopicSubmitted, m.event(app, "submit")); err != nil {
		return err
	}
	if sub.instant != nil {
		return m.instantApprove(ctx, tx, it, app, *sub.instant)
	}
	return nil
}

// instantApprove accepts and approves app as the system and issues its
// certificate, in tx, recording the rule version and the inputs it read.
func (m *Module) instantApprove(ctx context.Context, tx store.Tx, it *catalog.Item, app *Application, out RuleOutcome) error {
	sys := auth.System()
	used, err := maskRuleInputs(it.Fields, out.Used)
	if err != nil {
		return err
	}
	if _, err := m.d.Flow.Do(ctx, tx, app.InstanceID, "accept", sys, nil, "自动受理（秒批）"); err != nil {
		return err
	}
	if _, err := m.d.Flow.Do(ctx, tx, app.InstanceID, "instant_approve", sys, map[string]string{
		"rule_version": fmt.Sprint(it.Rule.Version), "rule_inputs": used}, "规则判定符合条件，系统自动准予"); err != nil {
		return err
	}
	app.RuleVersion, app.RuleInputs = it.Rule.Version, used
	return m.approveApp(ctx, tx, sys, it, app, "符合秒批规则（第"+fmt.Sprint(it.Rule.Version)+"版）", nil)
}

// startComment is the start entry of the history: the certificate a
// renewal renews, and when a clerk recorded holders' consent, one sentence
// naming each certificate and the method.
func startComment(renews *certificate.Certificate, notes []string) string {
	var s string
	if renews != nil {
		s = "申请延续电子证照" + renews.Number + "（有效期至" + renews.ValidUntil.In(cst).Format("2006年1月2日") + "）。"
	}
	if len(notes) > 0 {
		s += "窗口代办，持证人同意使用电子证照：" + strings.Join(notes, "；") + "。"
	}
	return truncate(s, 1000)
}

func fileSHA(f *FileRef) string {
	if f == nil {
		return ""
	}
	return f.SHA256
}

// audit appends an entry about app in tx.
func (m *Module) audit(ctx context.Context, tx store.IDB, a *auth.Actor, action string, app *Application, detail any) error {
	_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: actorID(a), ActorName: actorName(a), Action: action,
		ObjectType: "casework_application", ObjectID: fmt.Sprint(app.ID), RegionCode: app.IntakeRegion, Detail: detail})
	if err != nil {
		return fmt.Errorf("casework: %s: %w", action, err)
	}
	return nil
}

// event is the payload of the module's outbox events; it holds no
// personal numbers.
type event struct {
	ID           int64  `json:"id"`
	Number       string `json:"number"`
	Item         string `json:"item"`
	Action       string `json:"action"`
	Status       Status `json:"status"`
	DepartmentID int64  `json:"department_id"`
	UserID       int64  `json:"applicant_user_id"`
	// Notice is a sentence for the applicant beyond the new status (when
	// the certificate comes, say).
	Notice string `json:"notice,omitempty"`
}

func (m *Module) event(app *Application, action string) event {
	return event{ID: app.ID, Number: app.Number, Item: app.ItemCode, Action: action, Status: app.Status,
		DepartmentID: app.DepartmentID, UserID: app.ApplicantUserID}
}

// publicName names an applicant in lists: a person by family name only.
func publicName(k ApplicantKind, name string) string {
	if k == Enterprise {
		return name
	}
	return pii.MaskName(name)
}

func maskID(s string) string { return pii.MaskID(s) }

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
