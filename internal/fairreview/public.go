package fairreview

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
)

// DiffLine is one line of a line diff: Op is ' ', '-' (reviewed only) or
// '+' (issued only).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// Diff compares two texts line by line (longest common subsequence).
func Diff(a, b string) []DiffLine {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			out = append(out, DiffLine{" ", x[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{"-", x[i]})
			i++
		default:
			out = append(out, DiffLine{"+", y[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, DiffLine{"-", x[i]})
	}
	for ; j < m; j++ {
		out = append(out, DiffLine{"+", y[j]})
	}
	return out
}

// Changed reports whether a diff has any change.
func Changed(d []DiffLine) bool {
	for _, l := range d {
		if l.Op != " " {
			return true
		}
	}
	return false
}

// OpenComments opens the period in which businesses, trade associations
// and the public comment (第十六条): days working days from tomorrow, at
// least Limits.MinComment.
func (m *Module) OpenComments(ctx context.Context, a Actor, id int64, days int) (*Measure, error) {
	ms, err := m.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if ms.DepartmentID != a.DepartmentID {
		return nil, ErrNotFound
	}
	if ms.Status != StatusSelfReview {
		return nil, ErrState
	}
	if days < m.d.Limits.MinComment || days > 60 {
		return nil, &FieldError{"days", fmt.Sprintf("征求意见期应为 %d 至 60 个工作日 (comment period)", m.d.Limits.MinComment)}
	}
	if err := m.change(ctx, a, "open_comments", ms, nil, `UPDATE fr_measures SET comment_from = ?, comment_until = ? WHERE id = ?`,
		m.today(), m.due(days), id); err != nil {
		return nil, err
	}
	return m.load(ctx, m.d.DB, id)
}

// Sources of comments.
var Sources = []string{"经营者", "行业协会商会", "社会公众"}

// Comment is a comment heard.
type Comment struct {
	ID      int64  `json:"id"`
	Source  string `json:"source"`
	Body    string `json:"body"`
	GivenOn string `json:"given_on"`
}

// AddComment keeps a public comment on measure id; it is refused outside
// the comment period. Phone numbers in the text are masked.
func (m *Module) AddComment(ctx context.Context, id int64, source, body string) (*Comment, error) {
	ms, err := m.load(ctx, m.d.DB, id)
	if err != nil {
		return nil, err
	}
	if !contains(Sources, source) {
		return nil, &FieldError{"source", "未知来源 (unknown source)"}
	}
	if err := checkText("body", body, 5000, true); err != nil {
		return nil, err
	}
	today := m.today()
	if ms.CommentFrom == "" || today < ms.CommentFrom || today > ms.CommentUntil {
		return nil, ErrClosed
	}
	c := Comment{Source: source, Body: pii.MaskText(body), GivenOn: today}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := store.QueryRow(ctx, tx, `INSERT INTO fr_comments (measure_id, source, body, given_on, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, id, c.Source, c.Body, c.GivenOn, m.d.Now().UTC()).Scan(&c.ID); err != nil {
			return fmt.Errorf("fairreview: comment: %w", err)
		}
		return m.audit(ctx, tx, Actor{}, "comment", "fr_measure", id, ms.Region, map[string]any{"comment": c.ID, "source": source})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Comments returns the comments kept on a measure a may see.
func (m *Module) Comments(ctx context.Context, a Actor, id int64) ([]Comment, error) {
	if _, err := m.Get(ctx, a, id); err != nil {
		return nil, err
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT id, source, body, given_on FROM fr_comments WHERE measure_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("fairreview: comments: %w", err)
	}
	defer rows.Close()
	var out []Comment
	for rows.Next() {
		var c Comment
		if err := rows.Scan(&c.ID, &c.Source, &c.Body, &c.GivenOn); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SpotCheck draws n issued measures of region at random with seed
// (第二十一条) and records the draw; the same seed over the same issued
// measures draws the same ones.
func (m *Module) SpotCheck(ctx context.Context, a Actor, seed uint64, n int) ([]int64, error) {
	if !a.Office && !a.Supervisor {
		return nil, ErrNotFound
	}
	if n <= 0 || n > 1000 {
		return nil, &FieldError{"n", "抽查数量应为 1 至 1000 (count)"}
	}
	rows, err := store.Query(ctx, m.d.DB, `SELECT id FROM fr_measures WHERE status = ? AND region_code LIKE ? ORDER BY id`,
		StatusIssued, regionPrefix(a.Region)+"%")
	if err != nil {
		return nil, fmt.Errorf("fairreview: spot check: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	drawn := Draw(ids, seed, n)
	dj, _ := json.Marshal(drawn)
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var id int64
		if err := store.QueryRow(ctx, tx, `INSERT INTO fr_spot_checks (seed, drawn, created_by, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			int64(seed), string(dj), a.UserID, m.d.Now().UTC()).Scan(&id); err != nil {
			return fmt.Errorf("fairreview: spot check: %w", err)
		}
		return m.audit(ctx, tx, a, "spot_check", "fr_spot_check", id, a.Region, map[string]any{"seed": strconv.FormatUint(seed, 10), "drawn": drawn})
	})
	if err != nil {
		return nil, err
	}
	return drawn, nil
}

// Draw picks n of ids (sorted first) with a PCG seeded by seed; it is
// reproducible from the seed.
func Draw(ids []int64, seed uint64, n int) []int64 {
	s := append([]int64(nil), ids...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	if n < len(s) {
		s = s[:n]
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

var (
	phoneRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	tokenRE = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// Report is a public report (第二十二条) on an issued measure.
type Report struct {
	ID         int64  `json:"id"`
	MeasureID  int64  `json:"measure_id"`
	Token      string `json:"token"`
	Body       string `json:"body"`
	Phone      string `json:"phone"` // masked
	ReceivedOn string `json:"received_on"`
	DueOn      string `json:"due_on"`
	Answer     string `json:"answer,omitempty"`
	AnsweredOn string `json:"answered_on,omitempty"`
	Overdue    bool   `json:"overdue"`
}

// SubmitReport records a report on an issued measure with the reporter's
// phone sealed; the token is the reporter's tracking link.
func (m *Module) SubmitReport(ctx context.Context, measureID int64, body, phone string) (*Report, error) {
	ms, err := m.load(ctx, m.d.DB, measureID)
	if err != nil || ms.Status != StatusIssued {
		return nil, ErrNotFound
	}
	if err := checkText("body", body, 5000, true); err != nil {
		return nil, err
	}
	if !phoneRE.MatchString(phone) {
		return nil, &FieldError{"phone", "手机号码格式不正确 (mobile number)"}
	}
	b := make([]byte, 16)
	rand.Read(b)
	r := Report{MeasureID: measureID, Token: hex.EncodeToString(b), Body: pii.MaskText(body), Phone: pii.MaskPhone(phone),
		ReceivedOn: m.today(), DueOn: m.due(m.d.Limits.Report)}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := store.QueryRow(ctx, tx, `INSERT INTO fr_reports (measure_id, token, body, phone_enc, received_on, due_on, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, measureID, r.Token, r.Body, m.d.Box.Seal(phone), r.ReceivedOn, r.DueOn,
			m.d.Now().UTC()).Scan(&r.ID); err != nil {
			return fmt.Errorf("fairreview: report: %w", err)
		}
		return m.audit(ctx, tx, Actor{}, "report", "fr_report", r.ID, ms.Region, map[string]any{"measure": measureID})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

const reportCols = `id, measure_id, token, body, phone_enc, received_on, due_on, answer, answered_on`

func (m *Module) scanReport(row interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	var enc string
	if err := row.Scan(&r.ID, &r.MeasureID, &r.Token, &r.Body, &enc, &r.ReceivedOn, &r.DueOn, &r.Answer, &r.AnsweredOn); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	if p, err := m.d.Box.Open(enc); err == nil {
		r.Phone = pii.MaskPhone(p)
	}
	today := m.today()
	r.Overdue = (r.AnsweredOn == "" && today > r.DueOn) || (r.AnsweredOn != "" && r.AnsweredOn > r.DueOn)
	return &r, nil
}

// Track returns the report a token names, for the reporter.
func (m *Module) Track(ctx context.Context, token string) (*Report, error) {
	r, err := m.scanReport(store.QueryRow(ctx, m.d.DB, `SELECT `+reportCols+` FROM fr_reports WHERE token = ?`, token))
	if err != nil {
		return nil, err
	}
	r.Token = ""
	return r, nil
}

// AnswerReport records the review office's answer to a report.
func (m *Module) AnswerReport(ctx context.Context, a Actor, id int64, answer string) (*Report, error) {
	if !a.Office {
		return nil, ErrNotFound
	}
	r, err := m.scanReport(store.QueryRow(ctx, m.d.DB, `SELECT `+reportCols+` FROM fr_reports WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	if err := m.reportVisible(ctx, a, r); err != nil {
		return nil, err
	}
	if r.AnsweredOn != "" {
		return nil, ErrState
	}
	if err := checkText("answer", answer, 5000, true); err != nil {
		return nil, err
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := store.Exec(ctx, tx, `UPDATE fr_reports SET answer = ?, answered_on = ? WHERE id = ?`, answer, m.today(), id); err != nil {
			return fmt.Errorf("fairreview: answer: %w", err)
		}
		return m.audit(ctx, tx, a, "report.answer", "fr_report", id, a.Region, nil)
	})
	if err != nil {
		return nil, err
	}
	return m.scanReport(store.QueryRow(ctx, m.d.DB, `SELECT `+reportCols+` FROM fr_reports WHERE id = ?`, id))
}

// reportVisible answers ErrNotFound unless the report's measure is in a's
// region.
func (m *Module) reportVisible(ctx context.Context, a Actor, r *Report) error {
	ms, err := m.load(ctx, m.d.DB, r.MeasureID)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(ms.Region, regionPrefix(a.Region)) {
		return ErrNotFound
	}
	return nil
}
