package credit

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/calendar"
	"github.com/yingshang/yingshang/internal/certificate"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
)

// reportVersion begins every signed report, so that a later format is
// never read as this one.
const reportVersion = "yingshang-credit-report-v1"

// adverseKinds are the kinds of record that a 无违法违规记录证明 asks about:
// a department's field is clean in a period when none of these exists.
var adverseKinds = []Kind{KindPenalty, KindEnforcement, KindJudicial, KindTaxArrears, KindFalseCommitment}

// ReportField is one line of a 专用信用报告: a kind of record, a
// department's field or a list, and how many entries the period holds.
type ReportField struct {
	// Key is "kind:<kind>", "department:<id>" or "list:<abnormal|serious>".
	Key    string `json:"key"`
	Group  string `json:"group" enum:"kind,department,list"`
	Name   string `json:"name"`
	NameEn string `json:"name_en,omitempty"`
	Count  int    `json:"count"`
}

// ReportContent is what a report says, exactly as signed.
type ReportContent struct {
	Version  string        `json:"version"`
	Number   string        `json:"number"`
	USCC     string        `json:"uscc"`
	Name     string        `json:"name"`
	From     string        `json:"from"`
	To       string        `json:"to"`
	IssuedOn string        `json:"issued_on"`
	Fields   []ReportField `json:"fields"`
}

// Report is a stored 专用信用报告.
type Report struct {
	ID        int64         `json:"id"`
	Content   ReportContent `json:"content"`
	IssuedAt  time.Time     `json:"issued_at"`
	Algorithm string        `json:"algorithm"`
	KeyID     string        `json:"key_id"`
	// Token is the verification token the QR code carries.
	Token string `json:"token"`
	// Genuine says whether the signature holds over the stored content.
	Genuine bool `json:"genuine"`

	raw string
	sig []byte
}

// Clean reports whether no field of the report holds an entry.
func (r *Report) Clean() bool {
	for _, f := range r.Content.Fields {
		if f.Count > 0 && f.Group != "kind" {
			return false
		}
	}
	return true
}

// ReportInput asks for a report on a business for a period; empty dates
// give the rules' period ending today.
type ReportInput struct {
	USCC string `json:"uscc" maxLength:"18"`
	From string `json:"from,omitempty" doc:"YYYY-MM-DD; empty: the rules' report period before to"`
	To   string `json:"to,omitempty" doc:"YYYY-MM-DD, at most today; empty: today"`
}

// IssueReport builds, signs and stores a 专用信用报告 of business in.USCC
// for the period: per record kind, per department's field and per list,
// how many records of the period exist. Withdrawn and repaired records do
// not count (their decision was revoked, or their publication ended), nor
// kinds never published. The business itself (its own code only) and
// staff may ask.
func (m *Module) IssueReport(ctx context.Context, a *auth.Actor, in ReportInput) (*Report, error) {
	if m.d.Signer == nil || m.d.Verifier == nil {
		return nil, errors.New("credit: reports need a signer")
	}
	if a == nil {
		return nil, auth.ErrUnauthenticated
	}
	uscc := ids.NormalizeUSCC(in.USCC)
	if ids.ValidateUSCC(uscc) != nil {
		return nil, &valid.FieldError{Path: "uscc", Message: "统一社会信用代码不正确 (invalid unified social credit code)"}
	}
	if !a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object("", 0, uscc)) != nil {
		return nil, ErrNotFound
	}
	today := m.today()
	to, from := today, calendar.Date{}
	var p valid.Problems
	if in.To != "" {
		var err error
		if to, err = calendar.ParseDate(in.To); err != nil || to.After(today) {
			p.Add("to", "截止日期格式为 YYYY-MM-DD，且不晚于今天 (a date not after today)")
		}
	}
	if in.From != "" {
		var err error
		if from, err = calendar.ParseDate(in.From); err != nil {
			p.Add("from", "起始日期格式为 YYYY-MM-DD (date as YYYY-MM-DD)")
		}
	} else {
		from = publishedBefore(to, m.d.Rules.ReportPeriod).AddDays(1)
	}
	if len(p) == 0 && (from.After(to) || from.Before(publishedBefore(to, calendar.Period{N: 10, Unit: calendar.Years}))) {
		p.Add("from", "起始日期须早于截止日期，且不超过10年 (from before to, at most 10 years)")
	}
	if len(p) > 0 {
		return nil, p.Err()
	}
	content, err := m.reportContent(ctx, uscc, from, to)
	if err != nil {
		return nil, err
	}
	content.IssuedOn = today.String()
	now := m.d.Now()
	var id int64
	var rep *Report
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var tmp [8]byte
		rand.Read(tmp[:])
		if err := tx.QueryRowContext(ctx, `INSERT INTO credit_reports (number, uscc, name, period_from, period_to, content,
			issued_at, issued_by, algorithm, key_id, signature) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, '') RETURNING id`,
			"tmp-"+hex.EncodeToString(tmp[:]), uscc, content.Name, from.String(), to.String(), store.Time(now), a.UserID,
			m.d.Signer.Algorithm(), m.d.Signer.KeyID()).Scan(&id); err != nil {
			return fmt.Errorf("credit: report: %w", err)
		}
		c := *content
		c.Number = fmt.Sprintf("XYBG%s%06d", strings.ReplaceAll(today.String(), "-", ""), id)
		raw, err := json.Marshal(c)
		if err != nil {
			return err
		}
		sig, err := m.d.Signer.Sign(reportPayload(string(raw)))
		if err != nil {
			return fmt.Errorf("credit: sign report: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credit_reports SET number = ?, content = ?, signature = ? WHERE id = ?`,
			c.Number, string(raw), base64.StdEncoding.EncodeToString(sig), id); err != nil {
			return fmt.Errorf("credit: report: %w", err)
		}
		rep = &Report{ID: id, Content: c, IssuedAt: store.Time(now), Algorithm: m.d.Signer.Algorithm(),
			KeyID: m.d.Signer.KeyID(), Token: reportToken(id, sig), Genuine: true}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "credit.report",
			ObjectType: "credit_report", ObjectID: strconv.FormatInt(id, 10),
			Detail: map[string]any{"uscc": uscc, "number": c.Number, "from": from.String(), "to": to.String()}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// reportContent counts what the period holds, field by field.
func (m *Module) reportContent(ctx context.Context, uscc string, from, to calendar.Date) (*ReportContent, error) {
	c := &ReportContent{Version: reportVersion, USCC: uscc, From: from.String(), To: to.String(), Fields: []ReportField{}}
	if m.d.Register != nil {
		if e, err := m.d.Register.Get(ctx, auth.System(), uscc); err == nil {
			c.Name = e.Name
		}
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT kind, department_id, COUNT(*) FROM credit_records WHERE uscc = ?
		AND decision_date >= ? AND decision_date <= ? AND withdrawn_on IS NULL AND repaired_on IS NULL
		GROUP BY kind, department_id`, uscc, from.String(), to.String())
	if err != nil {
		return nil, fmt.Errorf("credit: report of %s: %w", uscc, err)
	}
	byKind := map[Kind]int{}
	byDept := map[int64]int{}
	for rows.Next() {
		var k Kind
		var dept int64
		var n int
		if err := rows.Scan(&k, &dept, &n); err != nil {
			rows.Close()
			return nil, err
		}
		byKind[k] += n
		if contains(kindStrings(adverseKinds), string(k)) {
			byDept[dept] += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, k := range AllKinds {
		kr := m.d.Rules.Kinds[k]
		if !kr.Public {
			continue
		}
		c.Fields = append(c.Fields, ReportField{Key: "kind:" + string(k), Group: "kind", Name: kr.Name, NameEn: kr.NameEn, Count: byKind[k]})
	}
	// Every department that records adverse kinds is a field (领域), clean
	// or not; the platform's own modules (department 0) are one more.
	grants, err := m.d.DB.QueryContext(ctx, `SELECT DISTINCT department_id FROM credit_grants WHERE kind IN (?, ?, ?, ?, ?)
		ORDER BY department_id`, kindArgs(adverseKinds)...)
	if err != nil {
		return nil, fmt.Errorf("credit: report fields: %w", err)
	}
	var depts []int64
	for grants.Next() {
		var d int64
		if err := grants.Scan(&d); err != nil {
			grants.Close()
			return nil, err
		}
		depts = append(depts, d)
	}
	grants.Close()
	for d := range byDept {
		if !containsID(depts, d) {
			depts = append(depts, d)
		}
	}
	for _, d := range depts {
		name := "平台"
		if d != 0 {
			name = m.d.Org.DepartmentName(ctx, d)
		}
		c.Fields = append(c.Fields, ReportField{Key: "department:" + strconv.FormatInt(d, 10), Group: "department",
			Name: name, Count: byDept[d]})
	}
	var abn, ser int
	if err := m.d.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_abnormal WHERE uscc = ? AND listed_on <= ?
		AND (removed_on IS NULL OR removed_on >= ?)`, uscc, to.String(), from.String()).Scan(&abn); err != nil {
		return nil, fmt.Errorf("credit: report of %s: %w", uscc, err)
	}
	if err := m.d.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_serious WHERE uscc = ? AND listed_on <= ?
		AND (removed_on IS NULL OR removed_on >= ?)`, uscc, to.String(), from.String()).Scan(&ser); err != nil {
		return nil, fmt.Errorf("credit: report of %s: %w", uscc, err)
	}
	c.Fields = append(c.Fields,
		ReportField{Key: "list:" + ListAbnormal, Group: "list", Name: "经营异常名录", NameEn: "Abnormal operations list", Count: abn},
		ReportField{Key: "list:" + ListSerious, Group: "list", Name: "严重违法失信名单", NameEn: "Serious violations list", Count: ser})
	return c, nil
}

func kindStrings(ks []Kind) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func kindArgs(ks []Kind) []any {
	out := make([]any, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func containsID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// reportPayload is the byte string a report's signature covers: the
// version and the content exactly as stored.
func reportPayload(content string) []byte {
	return []byte(reportVersion + "\n" + content)
}

const reportCols = `id, content, issued_at, algorithm, key_id, signature, uscc`

// loadReport reads report id and checks its signature.
func (m *Module) loadReport(ctx context.Context, id int64) (*Report, string, error) {
	var r Report
	var sig, uscc string
	err := m.d.DB.QueryRowContext(ctx, "SELECT "+reportCols+" FROM credit_reports WHERE id = ?", id).
		Scan(&r.ID, &r.raw, &r.IssuedAt, &r.Algorithm, &r.KeyID, &sig, &uscc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("credit: report %d: %w", id, err)
	}
	r.IssuedAt = r.IssuedAt.UTC()
	r.sig, _ = base64.StdEncoding.DecodeString(sig)
	r.Token = reportToken(r.ID, r.sig)
	if err := json.Unmarshal([]byte(r.raw), &r.Content); err != nil {
		r.Content = ReportContent{USCC: uscc}
	}
	r.Genuine = m.d.Verifier != nil && len(r.sig) > 0 && r.Content.Version == reportVersion &&
		m.d.Verifier.Verify(r.KeyID, reportPayload(r.raw), r.sig) == nil
	return &r, uscc, nil
}

// GetReport returns report id, if a may read the business's credit
// information (the business itself, staff).
func (m *Module) GetReport(ctx context.Context, a *auth.Actor, id int64) (*Report, error) {
	r, uscc, err := m.loadReport(ctx, id)
	if err != nil {
		return nil, err
	}
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object("", 0, uscc)) != nil) {
		return nil, ErrNotFound
	}
	return r, nil
}

// ReportsOf returns one page of the reports of business uscc, newest
// first, read by keyset on the id (after is the page before's
// store.Page.Next; limit 20 when zero, at most 200), and where the next
// page starts.
func (m *Module) ReportsOf(ctx context.Context, a *auth.Actor, uscc string, after store.Cursor, limit int) ([]Report, store.Page, error) {
	if a == nil || (!a.Has(auth.RoleSystem) && m.d.Policy.Authorize(a, auth.ActRead, object("", 0, uscc)) != nil) {
		return nil, store.Page{}, ErrNotFound
	}
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	var pg store.Page
	var err error
	if pg.Count, err = store.CountUpTo(ctx, m.d.DB, `SELECT id FROM credit_reports WHERE uscc = ?`, uscc); err != nil {
		return nil, store.Page{}, fmt.Errorf("credit: reports of %s: %w", uscc, err)
	}
	ks, kargs := store.Before("", "id", after)
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id FROM credit_reports WHERE uscc = ? AND `+ks+` ORDER BY id DESC LIMIT ?`,
		append(append([]any{uscc}, kargs...), limit+1)...)
	if err != nil {
		return nil, store.Page{}, fmt.Errorf("credit: reports of %s: %w", uscc, err)
	}
	var idList []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, store.Page{}, err
		}
		idList = append(idList, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, store.Page{}, fmt.Errorf("credit: reports of %s: %w", uscc, err)
	}
	if len(idList) > limit {
		idList = idList[:limit]
		pg.Next = store.Cursor{ID: idList[limit-1]}
	}
	out := []Report{}
	for _, id := range idList {
		r, _, err := m.loadReport(ctx, id)
		if err != nil {
			return nil, store.Page{}, err
		}
		out = append(out, *r)
	}
	return out, pg, nil
}

// VerifyReport answers for a token from a report's QR code: the report
// and whether its signature holds over what is stored. A token that names
// no report, or whose check does not match the stored signature, answers
// ErrNotFound.
func (m *Module) VerifyReport(ctx context.Context, token string) (*Report, error) {
	id, check, err := parseReportToken(token)
	if err != nil {
		return nil, ErrNotFound
	}
	r, _, err := m.loadReport(ctx, id)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(check, reportCheck(r.sig)) != 1 {
		return nil, ErrNotFound
	}
	return r, nil
}

// reportDomain keeps report tokens apart from certificate and notice
// tokens.
const reportDomain = "yingshang-credit-report-token"

func reportCheck(sig []byte) []byte { return certificate.DomainCheck(reportDomain, sig) }

// reportToken is base64url of the report's id (uvarint) and the check.
func reportToken(id int64, sig []byte) string { return certificate.DomainToken(reportDomain, id, sig) }

func parseReportToken(tok string) (int64, []byte, error) { return certificate.SplitToken(tok) }
