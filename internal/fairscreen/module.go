package fairscreen

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/valid"
	"github.com/yingshang/yingshang/internal/web"
)

// ObjectKind is the authorisation kind of the rule library.
const ObjectKind = "fairscreen"

// MaxTextRunes is the longest text screened at once: about 250 pages.
const MaxTextRunes = 200_000

// The states of a library version. No version is changed once published:
// an edit is a new draft.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusRetired   = "retired"
)

// Errors. Every *valid.FieldError matches ErrInvalid.
var (
	ErrInvalid  = valid.ErrInvalid
	ErrNotFound = notFound{}
	ErrState    = stateError{}
)

type notFound struct{}

func (notFound) Error() string  { return "fairscreen: not found (未找到)" }
func (notFound) NotFound() bool { return true }

type stateError struct{}

func (stateError) Error() string {
	return "fairscreen: not allowed in the version's current state or its examples fail (当前状态不允许此操作或示例未通过)"
}
func (stateError) Conflict() bool { return true }

// Deps are what the module uses.
type Deps struct {
	DB     *store.DB
	Policy *auth.Policy
	Audit  *audit.Log
	// Library is the library stored as version 1 when none is stored yet
	// (a city's file loaded by a flag); nil means the embedded national
	// default.
	Library []byte
	Now     func() time.Time
}

// Module is the screening service, its rule library versions, reviewers'
// feedback, pages and API.
type Module struct {
	d Deps
	s *web.Server

	mu    sync.Mutex
	cache map[int64]*Screener // versions never change
}

// NewModule checks d and returns the module, registering its kind with the
// policy.
func NewModule(d Deps) (*Module, error) {
	if d.DB == nil || d.Policy == nil || d.Audit == nil {
		return nil, errors.New("fairscreen: DB, Policy and Audit are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Library == nil {
		d.Library = DefaultLibraryJSON()
	}
	if _, err := ParseLibrary(d.Library); err != nil {
		return nil, err
	}
	if err := d.Policy.Register(ObjectKind, PolicyRules()); err != nil {
		return nil, fmt.Errorf("fairscreen: %w", err)
	}
	return &Module{d: d, cache: map[int64]*Screener{}}, nil
}

// PolicyRules: administrators edit and publish the rule library. Screening
// itself is open to every signed-in staff member (drafting units are in
// every department), checked by role in StaffRoles.
func PolicyRules() auth.KindRules {
	return auth.KindRules{auth.ActAdminister: {auth.RoleAdmin: auth.ScopeAll}}
}

// StaffRoles are the roles that may screen a text: every staff role.
var StaffRoles = []auth.Role{auth.RoleClerk, auth.RoleOperator, auth.RoleDispatcher, auth.RoleHandler,
	auth.RoleApprover, auth.RoleInspector, auth.RoleLegal, auth.RoleSupervisor, auth.RoleAdmin}

func (m *Module) canAdminister(a *auth.Actor) bool {
	if a == nil {
		return false
	}
	return a.Has(auth.RoleSystem) || m.d.Policy.Authorize(a, auth.ActAdminister, auth.Object{Kind: ObjectKind}) == nil
}

func canScreen(a *auth.Actor) bool {
	return a != nil && (a.Has(auth.RoleSystem) || a.HasAny(StaffRoles...))
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Start stores Deps.Library as version 1, published, when no version is
// stored yet. It is idempotent.
func (m *Module) Start(ctx context.Context) error {
	var n int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM fairscreen_libraries").Scan(&n); err != nil {
		return fmt.Errorf("fairscreen: libraries: %w", err)
	}
	if n > 0 {
		return nil
	}
	lib, err := ParseLibrary(m.d.Library)
	if err != nil {
		return err
	}
	now := store.Time(m.d.Now())
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO fairscreen_libraries (version, status, name, content, hash, created_at, created_by,
			published_at, published_by) VALUES (1, ?, ?, ?, ?, ?, 0, ?, 0) ON CONFLICT DO NOTHING`,
			StatusPublished, lib.Name, string(m.d.Library), hashOf(m.d.Library), now, now)
		if err != nil {
			return fmt.Errorf("fairscreen: default library: %w", err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{Action: "fairscreen.library.publish", ObjectType: "fairscreen_library",
			ObjectID: "1", Detail: map[string]any{"name": lib.Name, "default": true}})
		return err
	})
}

// Version is one stored version of the rule library.
type Version struct {
	Version     int64      `json:"version"`
	Status      string     `json:"status" enum:"draft,published,retired"`
	Name        string     `json:"name"`
	Hash        string     `json:"hash" doc:"SHA-256 of the content"`
	Failures    []string   `json:"failures" doc:"Examples that fail; a draft with failures cannot be published"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   int64      `json:"created_by"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	// Content is the library as stored (JSON).
	Content json.RawMessage `json:"-"`
}

const versionCols = `version, status, name, hash, failures, created_at, created_by, published_at, content`

func scanVersion(r interface{ Scan(...any) error }) (*Version, error) {
	var v Version
	var published sql.NullTime
	var failures, content string
	if err := r.Scan(&v.Version, &v.Status, &v.Name, &v.Hash, &failures, &v.CreatedAt, &v.CreatedBy, &published, &content); err != nil {
		return nil, err
	}
	v.CreatedAt = v.CreatedAt.UTC()
	if published.Valid {
		t := published.Time.UTC()
		v.PublishedAt = &t
	}
	v.Failures = []string{}
	if failures != "" {
		v.Failures = strings.Split(failures, "\n")
	}
	v.Content = json.RawMessage(content)
	return &v, nil
}

// Versions lists every version, newest first, to administrators.
func (m *Module) Versions(ctx context.Context, a *auth.Actor) ([]Version, error) {
	if !m.canAdminister(a) {
		return nil, ErrNotFound
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+versionCols+" FROM fairscreen_libraries ORDER BY version DESC LIMIT 500")
	if err != nil {
		return nil, fmt.Errorf("fairscreen: versions: %w", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("fairscreen: versions: %w", err)
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// GetVersion returns version v to administrators.
func (m *Module) GetVersion(ctx context.Context, a *auth.Actor, v int64) (*Version, error) {
	if !m.canAdminister(a) {
		return nil, ErrNotFound
	}
	return m.version(ctx, m.d.DB, v)
}

func (m *Module) version(ctx context.Context, db store.IDB, v int64) (*Version, error) {
	ver, err := scanVersion(db.QueryRowContext(ctx, "SELECT "+versionCols+" FROM fairscreen_libraries WHERE version = ?", v))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("fairscreen: version %d: %w", v, err)
	}
	return ver, nil
}

// CreateDraft stores content (a library as JSON) as the next version, a
// draft, with the failures of its examples.
func (m *Module) CreateDraft(ctx context.Context, a *auth.Actor, content []byte) (*Version, error) {
	if !m.canAdminister(a) {
		return nil, ErrNotFound
	}
	if err := valid.Text("library", string(content)); err != nil {
		return nil, err
	}
	lib, err := ParseLibrary(content)
	if err != nil {
		return nil, &valid.FieldError{Path: "library", Message: err.Error()}
	}
	sc, err := New(lib)
	if err != nil {
		return nil, &valid.FieldError{Path: "library", Message: err.Error()}
	}
	failures := strings.Join(sc.Check(), "\n")
	now := store.Time(m.d.Now())
	var v int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM fairscreen_libraries").Scan(&v); err != nil {
			return fmt.Errorf("fairscreen: draft: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO fairscreen_libraries (version, status, name, content, hash, failures,
			created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			v, StatusDraft, lib.Name, string(content), hashOf(content), failures, now, a.UserID); err != nil {
			return fmt.Errorf("fairscreen: draft: %w", err)
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "fairscreen.library.draft",
			ObjectType: "fairscreen_library", ObjectID: strconv.FormatInt(v, 10),
			Detail: map[string]any{"name": lib.Name, "rules": len(lib.Rules), "failures": failures != ""}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.version(ctx, m.d.DB, v)
}

// Publish puts draft v in force and retires the version in force. A draft
// whose examples fail is refused with ErrState.
func (m *Module) Publish(ctx context.Context, a *auth.Actor, v int64) (*Version, error) {
	if !m.canAdminister(a) {
		return nil, ErrNotFound
	}
	now := store.Time(m.d.Now())
	err := m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		ver, err := m.version(ctx, tx, v)
		if err != nil {
			return err
		}
		if ver.Status != StatusDraft || len(ver.Failures) > 0 {
			return ErrState
		}
		// The examples are run again: the code may have changed since.
		lib, err := ParseLibrary(ver.Content)
		if err != nil {
			return ErrState
		}
		sc, err := New(lib)
		if err != nil || len(sc.Check()) > 0 {
			return ErrState
		}
		var prev int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM fairscreen_libraries WHERE status = ?", StatusPublished).Scan(&prev); err != nil {
			return fmt.Errorf("fairscreen: publish %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE fairscreen_libraries SET status = ? WHERE status = ?", StatusRetired, StatusPublished); err != nil {
			return fmt.Errorf("fairscreen: publish %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE fairscreen_libraries SET status = ?, published_at = ?, published_by = ? WHERE version = ?`,
			StatusPublished, now, a.UserID, v); err != nil {
			return fmt.Errorf("fairscreen: publish %d: %w", v, err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "fairscreen.library.publish",
			ObjectType: "fairscreen_library", ObjectID: strconv.FormatInt(v, 10), Detail: map[string]any{"replaces": prev}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.version(ctx, m.d.DB, v)
}

// Screener returns the screener of the library in force.
func (m *Module) Screener(ctx context.Context) (*Screener, error) {
	var v int64
	err := m.d.DB.QueryRowContext(ctx, "SELECT version FROM fairscreen_libraries WHERE status = ? ORDER BY version DESC LIMIT 1",
		StatusPublished).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		lib, err := ParseLibrary(m.d.Library)
		if err != nil {
			return nil, err
		}
		return New(lib)
	}
	if err != nil {
		return nil, fmt.Errorf("fairscreen: library in force: %w", err)
	}
	m.mu.Lock()
	sc := m.cache[v]
	m.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	ver, err := m.version(ctx, m.d.DB, v)
	if err != nil {
		return nil, err
	}
	lib, err := ParseLibrary(ver.Content)
	if err != nil {
		return nil, fmt.Errorf("fairscreen: stored version %d: %w", v, err)
	}
	if sc, err = New(lib); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.cache[v] = sc
	m.mu.Unlock()
	return sc, nil
}

// CheckText validates a text to screen: no control characters, at most
// MaxTextRunes runes.
func CheckText(text string) error {
	if err := valid.Text("text", text); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return &valid.FieldError{Path: "text", Message: fmt.Sprintf("文本过长：%d字，最多%d字 (text too long: %d characters, at most %d)", n, MaxTextRunes, n, MaxTextRunes)}
	}
	return nil
}

// Screen screens text with the library in force for staff member a.
func (m *Module) Screen(ctx context.Context, a *auth.Actor, text string) ([]Clause, error) {
	if !canScreen(a) {
		return nil, ErrNotFound
	}
	if err := CheckText(text); err != nil {
		return nil, err
	}
	sc, err := m.Screener(ctx)
	if err != nil {
		return nil, err
	}
	return sc.Screen(ctx, text)
}

// Feedback records a reviewer's decision on a finding of rule ruleID in
// clauseText: confirmed (the clause does break the standard) or dismissed,
// with the reason. It runs in tx so that it commits with the review that
// made it.
func (m *Module) Feedback(ctx context.Context, tx store.IDB, ruleID, clauseText string, confirmed bool, reason string, reviewer int64) error {
	var p valid.Problems
	if strings.TrimSpace(ruleID) == "" || len(ruleID) > 100 {
		p.Add("rule", "规则编号必填 (rule is required)")
	} else if err := valid.Text("rule", ruleID); err != nil {
		p = append(p, err.(*valid.FieldError))
	}
	if strings.TrimSpace(clauseText) == "" || utf8.RuneCountInString(clauseText) > 5000 {
		p.Add("clause", "条款文本必填且不超过5000字 (clause is required, at most 5000 characters)")
	} else if err := valid.Text("clause", clauseText); err != nil {
		p = append(p, err.(*valid.FieldError))
	}
	if utf8.RuneCountInString(reason) > 2000 {
		p.Add("reason", "理由不超过2000字 (reason at most 2000 characters)")
	} else if err := valid.Text("reason", reason); err != nil {
		p = append(p, err.(*valid.FieldError))
	}
	if !confirmed && strings.TrimSpace(reason) == "" {
		p.Add("reason", "排除一项提示须说明理由 (a dismissal needs a reason)")
	}
	if err := p.Err(); err != nil {
		return err
	}
	c := 0
	if confirmed {
		c = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fairscreen_feedback (rule_id, clause_text, confirmed, reason, reviewer, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, ruleID, clauseText, c, reason, reviewer, store.Time(m.d.Now())); err != nil {
		return fmt.Errorf("fairscreen: feedback: %w", err)
	}
	return nil
}

// RuleStat is what reviewers decided on one rule's findings.
type RuleStat struct {
	Rule      string `json:"rule"`
	Article   string `json:"article"`
	Category  string `json:"category"`
	Title     string `json:"title"`
	Confirmed int    `json:"confirmed"`
	Dismissed int    `json:"dismissed"`
	// LastReasons are the reasons of the latest dismissals, newest first.
	LastReasons []string `json:"last_reasons"`
}

// RuleStats returns, for every rule of the library in force (and any rule
// that has feedback), the confirmed and dismissed counts. Administrators
// only.
func (m *Module) RuleStats(ctx context.Context, a *auth.Actor) ([]RuleStat, error) {
	if !m.canAdminister(a) {
		return nil, ErrNotFound
	}
	sc, err := m.Screener(ctx)
	if err != nil {
		return nil, err
	}
	out := []RuleStat{}
	at := map[string]int{}
	for _, r := range sc.Library().Rules {
		at[r.ID] = len(out)
		out = append(out, RuleStat{Rule: r.ID, Article: r.Article, Category: r.Category, Title: r.Title, LastReasons: []string{}})
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT rule_id, confirmed, COUNT(*) FROM fairscreen_feedback GROUP BY rule_id, confirmed`)
	if err != nil {
		return nil, fmt.Errorf("fairscreen: rule stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var c, n int
		if err := rows.Scan(&id, &c, &n); err != nil {
			return nil, fmt.Errorf("fairscreen: rule stats: %w", err)
		}
		i, ok := at[id]
		if !ok {
			at[id] = len(out)
			i = len(out)
			out = append(out, RuleStat{Rule: id, LastReasons: []string{}})
		}
		if c != 0 {
			out[i].Confirmed += n
		} else {
			out[i].Dismissed += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fairscreen: rule stats: %w", err)
	}
	rows.Close()
	rs, err := m.d.DB.QueryContext(ctx, `SELECT rule_id, reason FROM fairscreen_feedback WHERE confirmed = 0 ORDER BY id DESC LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("fairscreen: rule stats: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var id, reason string
		if err := rs.Scan(&id, &reason); err != nil {
			return nil, fmt.Errorf("fairscreen: rule stats: %w", err)
		}
		if i, ok := at[id]; ok && len(out[i].LastReasons) < 3 {
			out[i].LastReasons = append(out[i].LastReasons, reason)
		}
	}
	return out, rs.Err()
}
