package risk

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/store"
)

// The states of a model version. A draft is tried on a sample before it
// may be published; publishing retires the version in force. No version
// is ever changed or deleted: an edit is a new draft.
const (
	StatusDraft     = "draft"
	StatusTried     = "tried"
	StatusPublished = "published"
	StatusRetired   = "retired"
)

// Version is one stored version of the indicator model.
type Version struct {
	Version     int64      `json:"version"`
	Status      string     `json:"status" enum:"draft,tried,published,retired"`
	Name        string     `json:"name"`
	Hash        string     `json:"hash" doc:"SHA-256 of the content"`
	CreatedAt   time.Time  `json:"created_at"`
	CreatedBy   int64      `json:"created_by"`
	TriedAt     *time.Time `json:"tried_at,omitempty"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
	Trial       *Trial     `json:"trial,omitempty"`
	// Content is the model as stored (JSON).
	Content json.RawMessage `json:"-"`
}

// Model parses the version's content (it was validated when stored).
func (v *Version) Model() (*Model, error) { return ParseModel(v.Content) }

// Trial is what a draft would do on a sample of businesses, against the
// model in force on the same sample.
type Trial struct {
	Sample int `json:"sample" doc:"Businesses scored"`
	// Against is the published version compared with (0: none yet).
	Against   int64          `json:"against"`
	Draft     map[string]int `json:"draft" doc:"Businesses per class under the draft"`
	Published map[string]int `json:"published" doc:"Businesses per class under the published model"`
	Changed   int            `json:"changed" doc:"Businesses whose class would change"`
	Up        int            `json:"up" doc:"… to a higher-risk class"`
	Down      int            `json:"down" doc:"… to a lower-risk class"`
	Moves     map[string]int `json:"moves" doc:"Changes by from→to, e.g. \"A→B\""`
	At        time.Time      `json:"at"`
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Start stores the national default as version 1, published, when no
// model is stored yet.
func (m *Module) Start(ctx context.Context) error {
	var n int
	if err := m.d.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM risk_models").Scan(&n); err != nil {
		return fmt.Errorf("risk: models: %w", err)
	}
	if n > 0 {
		return nil
	}
	content := DefaultModelJSON()
	def := DefaultModel()
	now := store.Time(m.d.Now())
	return m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO risk_models (version, status, name, content, hash, created_at, created_by,
			published_at, published_by) VALUES (1, ?, ?, ?, ?, ?, 0, ?, 0) ON CONFLICT DO NOTHING`,
			StatusPublished, def.Name, string(content), hashOf(content), now, now)
		if err != nil {
			return fmt.Errorf("risk: default model: %w", err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{Action: "risk.model.publish", ObjectType: "risk_model", ObjectID: "1",
			Detail: map[string]any{"name": def.Name, "default": true}})
		return err
	})
}

const versionCols = `version, status, name, hash, created_at, created_by, tried_at, published_at, trial, content`

func scanVersion(r interface{ Scan(...any) error }) (*Version, error) {
	var v Version
	var tried, published sql.NullTime
	var trial sql.NullString
	var content string
	if err := r.Scan(&v.Version, &v.Status, &v.Name, &v.Hash, &v.CreatedAt, &v.CreatedBy, &tried, &published, &trial, &content); err != nil {
		return nil, err
	}
	v.CreatedAt = v.CreatedAt.UTC()
	if tried.Valid {
		t := tried.Time.UTC()
		v.TriedAt = &t
	}
	if published.Valid {
		t := published.Time.UTC()
		v.PublishedAt = &t
	}
	if trial.Valid && trial.String != "" {
		v.Trial = &Trial{}
		if err := json.Unmarshal([]byte(trial.String), v.Trial); err != nil {
			return nil, fmt.Errorf("risk: trial of version %d: %w", v.Version, err)
		}
	}
	v.Content = json.RawMessage(content)
	return &v, nil
}

// Versions lists every version, newest first, to administrators.
func (m *Module) Versions(ctx context.Context, a *auth.Actor) ([]Version, error) {
	if a == nil || !m.canAdminister(ctx, a) {
		return nil, ErrNotFound
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT "+versionCols+" FROM risk_models ORDER BY version DESC LIMIT 500")
	if err != nil {
		return nil, fmt.Errorf("risk: versions: %w", err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("risk: versions: %w", err)
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// GetVersion returns version v to administrators.
func (m *Module) GetVersion(ctx context.Context, a *auth.Actor, v int64) (*Version, error) {
	if a == nil || !m.canAdminister(ctx, a) {
		return nil, ErrNotFound
	}
	return m.version(ctx, m.d.DB, v)
}

func (m *Module) version(ctx context.Context, db store.IDB, v int64) (*Version, error) {
	ver, err := scanVersion(db.QueryRowContext(ctx, "SELECT "+versionCols+" FROM risk_models WHERE version = ?", v))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("risk: version %d: %w", v, err)
	}
	return ver, nil
}

// published returns the model in force, compiled; nil before Start.
func (m *Module) published(ctx context.Context) (*compiled, error) {
	var v int64
	err := m.d.DB.QueryRowContext(ctx, "SELECT version FROM risk_models WHERE status = ? ORDER BY version DESC LIMIT 1",
		StatusPublished).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("risk: published model: %w", err)
	}
	return m.compiled(ctx, v)
}

// compiled returns version v compiled, from the cache: versions never
// change once stored.
func (m *Module) compiled(ctx context.Context, v int64) (*compiled, error) {
	m.mu.Lock()
	c := m.models[v]
	m.mu.Unlock()
	if c != nil {
		return c, nil
	}
	ver, err := m.version(ctx, m.d.DB, v)
	if err != nil {
		return nil, err
	}
	model, err := ver.Model()
	if err != nil {
		return nil, fmt.Errorf("risk: stored version %d: %w", v, err)
	}
	c = compile(model, v)
	m.mu.Lock()
	m.models[v] = c
	m.mu.Unlock()
	return c, nil
}

// CreateDraft stores content (a model as JSON) as the next version, a
// draft. Nothing is classified with it until it has been tried and
// published.
func (m *Module) CreateDraft(ctx context.Context, a *auth.Actor, content []byte) (*Version, error) {
	if a == nil || !m.canAdminister(ctx, a) {
		return nil, ErrNotFound
	}
	model, err := ParseModel(content)
	if err != nil {
		return nil, err
	}
	// Stored as parsed, indented: the same model always has the same hash.
	canon, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("risk: draft: %w", err)
	}
	root, err := m.rootRegion(ctx)
	if err != nil {
		return nil, err
	}
	var v int64
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM risk_models").Scan(&v); err != nil {
			return fmt.Errorf("risk: draft: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO risk_models (version, status, name, content, hash, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, v, StatusDraft, model.Name, string(canon), hashOf(canon), store.Time(m.d.Now()), a.UserID); err != nil {
			if store.IsUniqueViolation(err) {
				return ErrState
			}
			return fmt.Errorf("risk: draft: %w", err)
		}
		_, err := m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "risk.model.draft",
			ObjectType: "risk_model", ObjectID: strconv.FormatInt(v, 10), RegionCode: root,
			Detail: map[string]any{"name": model.Name, "hash": hashOf(canon)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.version(ctx, m.d.DB, v)
}

// DefaultSample is how many businesses a trial scores.
const DefaultSample = 2000

// Try scores draft v and the published model on a sample of businesses
// (at most sample, spread over the register) and keeps the outcome with
// the version, which becomes tried. Nothing else changes: no class is
// written.
func (m *Module) Try(ctx context.Context, a *auth.Actor, v int64, sample int) (*Version, error) {
	if a == nil || !m.canAdminister(ctx, a) {
		return nil, ErrNotFound
	}
	ver, err := m.version(ctx, m.d.DB, v)
	if err != nil {
		return nil, err
	}
	if ver.Status != StatusDraft && ver.Status != StatusTried {
		return nil, ErrState
	}
	if sample <= 0 {
		sample = DefaultSample
	}
	draft, err := m.compiled(ctx, v)
	if err != nil {
		return nil, err
	}
	pub, err := m.published(ctx)
	if err != nil {
		return nil, err
	}
	trial, err := m.trial(ctx, draft, pub, min(sample, 100000))
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(trial)
	root, err := m.rootRegion(ctx)
	if err != nil {
		return nil, err
	}
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE risk_models SET status = ?, trial = ?, tried_at = ? WHERE version = ? AND status IN (?, ?)`,
			StatusTried, string(b), store.Time(m.d.Now()), v, StatusDraft, StatusTried)
		if err != nil {
			return fmt.Errorf("risk: try %d: %w", v, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrState
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "risk.model.try",
			ObjectType: "risk_model", ObjectID: strconv.FormatInt(v, 10), RegionCode: root,
			Detail: map[string]any{"sample": trial.Sample, "changed": trial.Changed, "against": trial.Against}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.version(ctx, m.d.DB, v)
}

// Publish puts tried version v in force and retires the one it replaces.
// The classes follow in the next full run (Run starts one when the model
// in force is not the one the classes were computed with).
func (m *Module) Publish(ctx context.Context, a *auth.Actor, v int64) (*Version, error) {
	if a == nil || !m.canAdminister(ctx, a) {
		return nil, ErrNotFound
	}
	root, err := m.rootRegion(ctx)
	if err != nil {
		return nil, err
	}
	now := store.Time(m.d.Now())
	err = m.d.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var prev int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM risk_models WHERE status = ?", StatusPublished).Scan(&prev); err != nil {
			return fmt.Errorf("risk: publish %d: %w", v, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE risk_models SET status = ?, published_at = ?, published_by = ? WHERE version = ? AND status = ?`,
			StatusPublished, now, a.UserID, v, StatusTried)
		if err != nil {
			return fmt.Errorf("risk: publish %d: %w", v, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := m.version(ctx, tx, v); err != nil {
				return err
			}
			return ErrState
		}
		if _, err := tx.ExecContext(ctx, "UPDATE risk_models SET status = ? WHERE status = ? AND version <> ?",
			StatusRetired, StatusPublished, v); err != nil {
			return fmt.Errorf("risk: publish %d: %w", v, err)
		}
		_, err = m.d.Audit.Append(ctx, tx, audit.Entry{ActorID: a.UserID, ActorName: a.Name, Action: "risk.model.publish",
			ObjectType: "risk_model", ObjectID: strconv.FormatInt(v, 10), RegionCode: root,
			Detail: map[string]any{"replaces": prev}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return m.version(ctx, m.d.DB, v)
}
