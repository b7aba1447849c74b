package inspection

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// DrawSummary is a published draw in the public list.
type DrawSummary struct {
	ID            int64     `json:"id"`
	TaskID        string    `json:"task_id"`
	RegionCode    string    `json:"region_code"`
	PoolSize      int       `json:"pool_size"`
	SelectedCount int       `json:"selected_count"`
	PoolHash      string    `json:"pool_hash"`
	Seed          string    `json:"seed"`
	PublishedAt   time.Time `json:"published_at"`
}

// Draws lists the published draws, newest first, by id before cursor (0
// for the first page). Draws are public.
func (m *Module) Draws(ctx context.Context, before int64, limit int) ([]DrawSummary, int64, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	if before <= 0 {
		before = 1 << 62
	}
	rows, err := m.d.DB.QueryContext(ctx, `SELECT id, task_ref, region_code, pool_size, selected_count, pool_hash, seed, published_at
		FROM inspection_draws WHERE id < ? ORDER BY id DESC LIMIT ?`, before, limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("inspection: draws: %w", err)
	}
	defer rows.Close()
	out := []DrawSummary{}
	for rows.Next() {
		var s DrawSummary
		if err := rows.Scan(&s.ID, &s.TaskID, &s.RegionCode, &s.PoolSize, &s.SelectedCount, &s.PoolHash, &s.Seed, &s.PublishedAt); err != nil {
			return nil, 0, fmt.Errorf("inspection: draws: %w", err)
		}
		out = append(out, s)
	}
	var next int64
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, rows.Err()
}

// DrawJSON returns the published draw id as published.
func (m *Module) DrawJSON(ctx context.Context, id int64) ([]byte, error) {
	var body string
	err := m.d.DB.QueryRowContext(ctx, "SELECT body FROM inspection_draws WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("inspection: draw %d: %w", id, err)
	}
	return []byte(body), nil
}

// GetDraw returns the published draw id.
func (m *Module) GetDraw(ctx context.Context, id int64) (*Draw, error) {
	b, err := m.DrawJSON(ctx, id)
	if err != nil {
		return nil, err
	}
	var d Draw
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("inspection: draw %d: %w", id, err)
	}
	return &d, nil
}

// Pending is a task whose commitments are published before its draw.
type Pending struct {
	TaskID       string        `json:"task_id"`
	Name         string        `json:"name"`
	Status       string        `json:"status" enum:"open,frozen"`
	Participants []Participant `json:"participants" doc:"Commitments only; secrets are revealed at the draw"`
	PoolSize     int           `json:"pool_size"`
	PoolHash     string        `json:"pool_hash,omitempty" doc:"Once frozen"`
}

// PendingDraws lists the tasks not yet drawn with their commitments (and,
// once frozen, pool hash), which are public before the draw.
func (m *Module) PendingDraws(ctx context.Context, limit int) ([]Pending, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	rows, err := m.d.DB.QueryContext(ctx, "SELECT id FROM inspection_tasks WHERE status <> ? ORDER BY id DESC LIMIT ?", TaskDrawn, limit)
	if err != nil {
		return nil, fmt.Errorf("inspection: pending: %w", err)
	}
	var list []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, id)
	}
	rows.Close()
	out := []Pending{}
	for _, id := range list {
		t, err := m.task(ctx, m.d.DB, id)
		if err != nil {
			return nil, err
		}
		p := Pending{TaskID: t.Ref, Name: t.Name, Status: t.Status, PoolSize: t.PoolSize, PoolHash: t.PoolHash, Participants: []Participant{}}
		for _, q := range t.Participants {
			p.Participants = append(p.Participants, Participant{Name: q.Name, Commitment: q.Commitment})
		}
		out = append(out, p)
	}
	return out, nil
}
