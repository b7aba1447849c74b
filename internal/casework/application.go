package casework

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/catalog"
	"github.com/yingshang/yingshang/internal/store"
)

// Status is where an application stands: the state of its workflow
// instance, or StatusRevoked after a false commitment.
type Status string

// The statuses.
const (
	StatusSubmitted        Status = "submitted"         // 待受理
	StatusForwarded        Status = "forwarded"         // 待属地受理（跨域代收已转办）
	StatusIntakeCorrection Status = "intake_correction" // 待补正（受理前）
	StatusReview           Status = "review"            // 审查中
	StatusCorrection       Status = "correction"        // 待补正
	StatusDecision         Status = "decision"          // 待决定
	StatusApproved         Status = "approved"          // 准予许可
	StatusRejected         Status = "rejected"          // 不予许可
	StatusRefused          Status = "refused"           // 不予受理
	StatusWithdrawn        Status = "withdrawn"         // 已撤回
	StatusRevoked          Status = "revoked"           // 已撤销（承诺不实）
	StatusSpecial          Status = "special"           // 特别程序（不计入期限，第四十五条）
	StatusSuspended        Status = "suspended"         // 中止审查
	StatusTerminated       Status = "terminated"        // 终止审查
)

var statusNames = map[Status]string{
	StatusSubmitted: "待受理", StatusForwarded: "待属地受理", StatusIntakeCorrection: "待补正（受理前）", StatusReview: "审查中",
	StatusCorrection: "待补正", StatusDecision: "待决定", StatusApproved: "准予许可", StatusRejected: "不予许可",
	StatusRefused: "不予受理", StatusWithdrawn: "已撤回", StatusRevoked: "已撤销（承诺不实）",
	StatusSpecial: "特别程序（不计入期限）", StatusSuspended: "中止审查", StatusTerminated: "终止审查",
}

// Name returns the Chinese name of s.
func (s Status) Name() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return string(s)
}

// Finished reports whether no more work happens on the application.
func (s Status) Finished() bool {
	switch s {
	case StatusApproved, StatusRejected, StatusRefused, StatusWithdrawn, StatusRevoked, StatusTerminated:
		return true
	}
	return false
}

// ApplicantKind says whether a person or an enterprise applies.
type ApplicantKind string

// The applicant kinds.
const (
	Person     ApplicantKind = "person"
	Enterprise ApplicantKind = "enterprise"
)

// Delivery is how the result reaches the applicant.
type Delivery string

// The delivery methods.
const (
	DeliverOnline Delivery = "online" // 网上送达
	DeliverWindow Delivery = "window" // 窗口领取
	DeliverPost   Delivery = "post"   // 邮寄送达
)

// Valid reports whether d is a known method.
func (d Delivery) Valid() bool { return d == DeliverOnline || d == DeliverWindow || d == DeliverPost }

// Provision says how a material was provided.
type Provision string

// The provisions.
const (
	ProvideUpload       Provision = "upload"       // uploaded file
	ProvideCertificate  Provision = "certificate"  // the applicant's e-certificate, used with consent (免证办)
	ProvideVerification Provision = "verification" // asked of the owning department (部门核验)
	ProvideShortfall    Provision = "shortfall"    // promised by a date (容缺)
	ProvideCommitment   Provision = "commitment"   // replaced by the applicant's commitment (告知承诺)
	ProvideNone         Provision = "none"         // an optional material not given
	ProvideBundle       Provision = "bundle"       // produced by another item of the same bundle (一件事)
)

// Material is one material of an application and how it was provided.
type Material struct {
	Position  int                   `json:"position"`
	Name      string                `json:"name"`
	Class     catalog.MaterialClass `json:"class"`
	Provision Provision             `json:"provision"`
	File      *FileRef              `json:"file,omitempty"`
	// CertificateID is the e-certificate used, or for ProvideCreditReport
	// the credit report's id.
	CertificateID   int64  `json:"certificate_id,omitempty"`
	CertificateType string `json:"certificate_type,omitempty"`
	ConsentID       int64  `json:"consent_id,omitempty"`
	// ConsentMethod says how the holder consented when a window clerk used
	// the certificate on their behalf; ConsentFile is the scan of a signed
	// authorisation.
	ConsentMethod  ConsentMethod `json:"consent_method,omitempty"`
	ConsentFile    *FileRef      `json:"consent_file,omitempty"`
	VerificationID int64         `json:"verification_id,omitempty"`
	// Report is the credit report that satisfied the material
	// (ProvideCreditReport), as read again when the application is shown.
	Report     *SharedReport `json:"credit_report,omitempty"`
	DueAt      time.Time     `json:"due_at,omitzero"`
	SuppliedAt time.Time     `json:"supplied_at,omitzero"`
}

// Missing reports whether the material is promised and not yet supplied.
func (m *Material) Missing() bool { return m.Provision == ProvideShortfall && m.SuppliedAt.IsZero() }

// ConsentMethod is how a holder not at the keyboard consented to the use of
// their e-certificate when a window clerk applied for them (帮办代办).
type ConsentMethod string

// The consent methods a clerk records.
const (
	ConsentInPerson   ConsentMethod = "in_person"   // 当面确认: the holder confirmed at the window
	ConsentSignedForm ConsentMethod = "signed_form" // 签字授权书: a signed authorisation, scanned
)

// Name returns the method in Chinese.
func (c ConsentMethod) Name() string {
	switch c {
	case ConsentInPerson:
		return "持证人当面确认"
	case ConsentSignedForm:
		return "持证人签字授权书"
	}
	return ""
}

// Commitment is the signed 告知承诺书 of an application.
type Commitment struct {
	Text     string    `json:"text"`
	SHA256   string    `json:"sha256"`
	Signer   string    `json:"signer"`
	SignedAt time.Time `json:"signed_at"`
}

// Application is one application (办件).
type Application struct {
	ID          int64  `json:"id"`
	Number      string `json:"number"`
	ItemCode    string `json:"item_code"`
	ItemVersion int    `json:"item_version"`
	ItemName    string `json:"item_name"`

	ApplicantKind     ApplicantKind `json:"applicant_kind"`
	ApplicantUserID   int64         `json:"applicant_user_id,omitempty"`
	ApplicantName     string        `json:"applicant_name"`
	ApplicantIDMasked string        `json:"applicant_id_masked,omitempty"`
	ApplicantUSCC     string        `json:"applicant_uscc,omitempty"`
	AgentUserID       int64         `json:"agent_user_id,omitempty" doc:"Window clerk who applied on the applicant's behalf (帮办代办)"`
	AgentName         string        `json:"agent_name,omitempty"`

	IntakeRegion string `json:"intake_region" doc:"Region where it was taken in"`
	RegionCode   string `json:"region_code" doc:"Region of the owning department"`
	DepartmentID int64  `json:"department_id"`

	Form      map[string]any `json:"-"`
	Materials []Material     `json:"materials"`
	Status    Status         `json:"status"`

	Commitment     *Commitment `json:"commitment,omitempty"`
	ShortfallOpen  bool        `json:"shortfall_open"`
	ShortfallDue   time.Time   `json:"shortfall_due,omitzero"`
	CorrectionNote string      `json:"correction_note,omitempty"`

	Decision       string    `json:"decision,omitempty" enum:"approve,reject,refuse,"`
	DecisionReason string    `json:"decision_reason,omitempty"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	DecidedBy      int64     `json:"-"`
	DecidedByName  string    `json:"decided_by_name,omitempty"`
	RuleVersion    int       `json:"rule_version,omitempty" doc:"Version of the instant-approval rule that decided, 0 if a human did"`
	RuleInputs     string    `json:"rule_inputs,omitempty" doc:"JSON of the inputs the rule read"`

	CertificateID   int64    `json:"certificate_id,omitempty"`
	Delivery        Delivery `json:"delivery"`
	DeliveryAddress string   `json:"delivery_address,omitempty"`

	InstanceID             int64 `json:"instance_id"`
	VerificationInstanceID int64 `json:"verification_instance_id,omitempty"`
	// IssuanceInstanceID is the 待发证 task of an approval whose
	// certificate could not be issued at once (the holder it names could
	// not be determined from the application).
	IssuanceInstanceID int64     `json:"issuance_instance_id,omitempty"`
	VerificationResult string    `json:"verification_result,omitempty" enum:"truthful,false,"`
	VerifiedAt         time.Time `json:"verified_at,omitzero"`
	CreditRecordID     int64     `json:"credit_record_id,omitempty"`

	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	RowVersion  int64     `json:"row_version"`

	idEnc, idIndex string
	issuanceDue    time.Time // the 待发证 task's deadline, when just opened
}

// object describes the application to the policy.
func (a *Application) object() auth.Object {
	return auth.Object{Kind: Kind, RegionCode: a.IntakeRegion, DepartmentIDs: []int64{a.DepartmentID},
		OwnerUserID: a.ApplicantUserID, OwnerUSCC: a.ApplicantUSCC}
}

// subject returns the credit subject of the applicant; idNumber is the
// decrypted identity number of a person.
func (a *Application) subject(idNumber string) Subject {
	if a.ApplicantKind == Enterprise {
		return Subject{Kind: Enterprise, USCC: a.ApplicantUSCC, Name: a.ApplicantName}
	}
	return Subject{Kind: Person, IDNumber: idNumber, Name: a.ApplicantName}
}

const appCols = `id, number, item_code, item_version, item_name, applicant_kind, applicant_user_id, applicant_name,
	applicant_id_enc, applicant_id_index, applicant_uscc, agent_user_id, agent_name, intake_region, region_code,
	department_id, form, status, commitment, commitment_text, commitment_sha256, commitment_signer, committed_at,
	shortfall_open, shortfall_due, correction_note, decision, decision_reason, decided_at, decided_by, decided_by_name,
	rule_version, rule_inputs, certificate_id, delivery, delivery_address, instance_id, verification_instance_id,
	verification_result, verified_at, credit_record_id, submitted_at, updated_at, finished_at, row_version,
	issuance_instance_id`

type scanner interface{ Scan(dest ...any) error }

func scanApp(r scanner) (*Application, error) {
	var a Application
	var form string
	var hasCommit bool
	var cText, cSum, cSigner string
	var committed, shortDue, decided, verified, finished sql.NullTime
	err := r.Scan(&a.ID, &a.Number, &a.ItemCode, &a.ItemVersion, &a.ItemName, &a.ApplicantKind, &a.ApplicantUserID,
		&a.ApplicantName, &a.idEnc, &a.idIndex, &a.ApplicantUSCC, &a.AgentUserID, &a.AgentName, &a.IntakeRegion,
		&a.RegionCode, &a.DepartmentID, &form, &a.Status, &hasCommit, &cText, &cSum, &cSigner, &committed,
		&a.ShortfallOpen, &shortDue, &a.CorrectionNote, &a.Decision, &a.DecisionReason, &decided, &a.DecidedBy,
		&a.DecidedByName, &a.RuleVersion, &a.RuleInputs, &a.CertificateID, &a.Delivery, &a.DeliveryAddress,
		&a.InstanceID, &a.VerificationInstanceID, &a.VerificationResult, &verified, &a.CreditRecordID,
		&a.SubmittedAt, &a.UpdatedAt, &finished, &a.RowVersion, &a.IssuanceInstanceID)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(form), &a.Form); err != nil {
		return nil, fmt.Errorf("casework: application %d: form: %w", a.ID, err)
	}
	if hasCommit {
		a.Commitment = &Commitment{Text: cText, SHA256: cSum, Signer: cSigner, SignedAt: nt(committed)}
	}
	a.ShortfallDue, a.DecidedAt, a.VerifiedAt, a.FinishedAt = nt(shortDue), nt(decided), nt(verified), nt(finished)
	a.SubmittedAt, a.UpdatedAt = a.SubmittedAt.UTC(), a.UpdatedAt.UTC()
	return &a, nil
}

func nt(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// nullable stores the zero time as NULL.
func nullable(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return store.Time(t)
}

// load reads application id with its materials.
func (m *Module) load(ctx context.Context, db store.IDB, id int64) (*Application, error) {
	a, err := scanApp(db.QueryRowContext(ctx, "SELECT "+appCols+" FROM casework_applications WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("casework: application %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("casework: application %d: %w", id, err)
	}
	if a.Materials, err = loadMaterials(ctx, db, id); err != nil {
		return nil, err
	}
	a.ApplicantIDMasked = m.maskedID(a)
	return a, nil
}

func (m *Module) maskedID(a *Application) string {
	if a.idEnc == "" {
		return ""
	}
	idn, err := m.d.Box.Open(a.idEnc)
	if err != nil {
		return ""
	}
	return maskID(idn)
}

func loadMaterials(ctx context.Context, db store.IDB, id int64) ([]Material, error) {
	rows, err := db.QueryContext(ctx, `SELECT position, name, class, provision, file_sha256, file_name, content_type, size,
		certificate_id, certificate_type, consent_id, verification_id, due_at, supplied_at, consent_method,
		consent_file_sha256, consent_file_name
		FROM casework_materials WHERE application_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("casework: materials of %d: %w", id, err)
	}
	defer rows.Close()
	var out []Material
	for rows.Next() {
		var mt Material
		var f FileRef
		var cf FileRef
		var due, supplied sql.NullTime
		if err := rows.Scan(&mt.Position, &mt.Name, &mt.Class, &mt.Provision, &f.SHA256, &f.Name, &f.ContentType, &f.Size,
			&mt.CertificateID, &mt.CertificateType, &mt.ConsentID, &mt.VerificationID, &due, &supplied, &mt.ConsentMethod,
			&cf.SHA256, &cf.Name); err != nil {
			return nil, fmt.Errorf("casework: materials of %d: %w", id, err)
		}
		if f.SHA256 != "" {
			mt.File = &f
		}
		if cf.SHA256 != "" {
			mt.ConsentFile = &cf
		}
		mt.DueAt, mt.SuppliedAt = nt(due), nt(supplied)
		out = append(out, mt)
	}
	return out, rows.Err()
}

// insertApp writes a new application and its materials in tx.
func insertApp(ctx context.Context, tx store.IDB, a *Application) error {
	form, err := json.Marshal(a.Form)
	if err != nil {
		return fmt.Errorf("casework: form: %w", err)
	}
	var cText, cSum, cSigner string
	var committed time.Time
	if c := a.Commitment; c != nil {
		cText, cSum, cSigner, committed = c.Text, c.SHA256, c.Signer, c.SignedAt
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO casework_applications (number, item_code, item_version, item_name,
		applicant_kind, applicant_user_id, applicant_name, applicant_id_enc, applicant_id_index, applicant_uscc,
		agent_user_id, agent_name, intake_region, region_code, department_id, form, status, commitment, commitment_text,
		commitment_sha256, commitment_signer, committed_at, shortfall_open, shortfall_due, correction_note, decision,
		decision_reason, decided_at, decided_by, decided_by_name, rule_version, rule_inputs, certificate_id, delivery,
		delivery_address, instance_id, verification_instance_id, verification_result, verified_at, credit_record_id,
		submitted_at, updated_at, finished_at, row_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', NULL, 0, '', 0, '', 0, ?, ?,
		0, 0, '', NULL, 0, ?, ?, NULL, 1) RETURNING id`,
		a.Number, a.ItemCode, a.ItemVersion, a.ItemName, a.ApplicantKind, a.ApplicantUserID, a.ApplicantName,
		a.idEnc, a.idIndex, a.ApplicantUSCC, a.AgentUserID, a.AgentName, a.IntakeRegion, a.RegionCode, a.DepartmentID,
		string(form), a.Status, a.Commitment != nil, cText, cSum, cSigner, nullable(committed), a.ShortfallOpen,
		nullable(a.ShortfallDue), a.Delivery, a.DeliveryAddress, a.SubmittedAt, a.UpdatedAt).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("casework: insert application: %w", err)
	}
	a.RowVersion = 1
	for _, mt := range a.Materials {
		var f, cf FileRef
		if mt.File != nil {
			f = *mt.File
		}
		if mt.ConsentFile != nil {
			cf = *mt.ConsentFile
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO casework_materials (application_id, position, name, class, provision,
			file_sha256, file_name, content_type, size, certificate_id, certificate_type, consent_id, verification_id,
			due_at, supplied_at, consent_method, consent_file_sha256, consent_file_name)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, mt.Position, mt.Name, mt.Class, mt.Provision, f.SHA256, f.Name, f.ContentType, f.Size,
			mt.CertificateID, mt.CertificateType, mt.ConsentID, mt.VerificationID, nullable(mt.DueAt), nullable(mt.SuppliedAt),
			mt.ConsentMethod, cf.SHA256, cf.Name); err != nil {
			return fmt.Errorf("casework: insert material: %w", err)
		}
	}
	return nil
}

// nextNumber returns the next application number for region on the day of
// now (China time): region + date + a five-digit daily sequence, such as
// 99010220260930 00001 without the space. The counter row serialises
// concurrent submissions of one region and day.
func nextNumber(ctx context.Context, tx store.IDB, region string, now time.Time) (string, error) {
	prefix := region + now.In(cst).Format("20060102")
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO casework_counters (prefix, last) VALUES (?, 1)
		ON CONFLICT (prefix) DO UPDATE SET last = casework_counters.last + 1 RETURNING last`, prefix).Scan(&n)
	if err != nil {
		return "", fmt.Errorf("casework: number: %w", err)
	}
	return fmt.Sprintf("%s%05d", prefix, n), nil
}

var cst = time.FixedZone("CST", 8*3600)
