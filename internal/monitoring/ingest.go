package monitoring

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// MaxBody is the largest request body the ingest API reads: a full batch
// of MaxBatch readings with long metric names fits with room to spare.
const MaxBody = 4 << 20

// Service receives readings and evaluates rules on them.
type Service struct {
	Store     *Store
	Rules     *RuleSet
	Responder Responder
	Now       func() time.Time
	Log       *slog.Logger
	// SkipRules stores readings without evaluating rules (the baseline of
	// the ingest benchmark).
	SkipRules bool

	mu     sync.Mutex // serialises batches: engine state
	engine *Engine
	rules  map[string]Rule
}

// NewService returns a service for the rule set.
func NewService(st *Store, rs *RuleSet, r Responder) *Service {
	return &Service{Store: st, Rules: rs, Responder: r, Now: time.Now, Log: slog.New(slog.DiscardHandler),
		engine: NewEngine(rs), rules: rs.byCode()}
}

// Skipped is returned by a Responder function that could not carry out a
// response for a reason staff must see (no inspector in the department):
// the note enters the alert's history and the batch is still stored.
type Skipped struct{ Note string }

func (e *Skipped) Error() string { return "monitoring: response skipped: " + e.Note }

func plain(m map[int64]RegisteredDevice) map[int64]Device {
	out := make(map[int64]Device, len(m))
	for id, d := range m {
		out[id] = d.Device
	}
	return out
}

// restore loads the state of the devices the engine does not know yet
// from the stored readings. The caller holds s.mu.
func (s *Service) restore(ctx context.Context, devices map[int64]RegisteredDevice, ids map[int64]bool) error {
	for id := range ids {
		d, ok := devices[id]
		if !ok || s.engine.known(id) {
			continue
		}
		pts, err := s.Store.lastPoints(ctx, id, s.engine.compareMetrics(d.Kind))
		if err != nil {
			return err
		}
		s.engine.restore(id, pts)
	}
	return nil
}

// forget drops the state of devices whose batch was not stored, so that
// it is read again from the database.
func (s *Service) forget(ids map[int64]bool) {
	for id := range ids {
		delete(s.engine.last, id)
		delete(s.engine.seen, id)
	}
}

// Ingest validates and stores a batch for the business the token's device
// belongs to, all or nothing, and carries out the graded responses due.
func (s *Service) Ingest(ctx context.Context, token string, rs []Reading) (int64, []Action, error) {
	dev, err := s.Store.Authenticate(ctx, token)
	if err != nil {
		return 0, nil, err
	}
	if len(rs) > MaxBatch {
		return 0, nil, ErrBatchTooLarge
	}
	devices, err := s.Store.Devices(ctx, dev.USCC)
	if err != nil {
		return 0, nil, err
	}
	ids := map[int64]bool{}
	for _, r := range rs {
		if _, ok := devices[r.DeviceID]; ok {
			ids[r.DeviceID] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.restore(ctx, devices, ids); err != nil {
		return 0, nil, err
	}
	last := func(id int64, metric string) time.Time {
		if m := s.engine.last[id]; m != nil {
			return m[metric].t
		}
		return time.Time{}
	}
	now := s.Now()
	plainDevs := plain(devices)
	check, err := s.withoutRepeats(ctx, rs, devices, last)
	if err != nil {
		return 0, nil, err
	}
	if len(rs) == 0 || len(check) > 0 {
		err = ValidateBatch(check, plainDevs, last, now)
	}
	if err != nil {
		return 0, nil, err
	}
	fresh := freshReadings(rs, last)
	var n int64
	var acts []Action
	err = s.Store.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if n, err = s.Store.Insert(ctx, tx, rs); err != nil {
			return err
		}
		if s.SkipRules {
			return nil
		}
		if acts, err = s.Store.ApplyFirings(ctx, tx, s.rules, s.engine.Evaluate(fresh, plainDevs), devices); err != nil {
			return err
		}
		return s.respond(ctx, tx, devices, acts, now)
	})
	if err != nil {
		s.forget(ids)
	}
	return n, acts, err
}

// withoutRepeats returns the batch without the readings older than the
// engine's latest that are stored already, exactly: a batch sent again is
// accepted (and stores nothing), a reading older than the latest that is
// not a repeat is refused by ValidateBatch.
func (s *Service) withoutRepeats(ctx context.Context, rs []Reading, devices map[int64]RegisteredDevice, last func(int64, string) time.Time) ([]Reading, error) {
	var out []Reading
	for i, r := range rs {
		if _, ok := devices[r.DeviceID]; !ok || !r.Time.Before(last(r.DeviceID, r.Metric)) {
			if out != nil {
				out = append(out, r)
			}
			continue
		}
		var v float64
		err := store.QueryRow(ctx, s.Store.DB, `SELECT value FROM monitoring_readings WHERE device_id = ? AND metric = ? AND at = ?`,
			r.DeviceID, r.Metric, store.Time(r.Time)).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && v != r.Value) {
			if out != nil {
				out = append(out, r)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("monitoring: look up repeat: %w", err)
		}
		if out == nil {
			out = append(make([]Reading, 0, len(rs)), rs[:i]...)
		}
	}
	if out == nil {
		return rs, nil
	}
	return out, nil
}

// freshReadings returns the readings of a validated batch that the engine
// has not seen: a batch sent again (the device did not hear the answer)
// is stored once and counts its firings once.
func freshReadings(rs []Reading, last func(int64, string) time.Time) []Reading {
	type k struct {
		dev    int64
		metric string
		at     int64
	}
	seen := make(map[k]bool, len(rs))
	out := make([]Reading, 0, len(rs))
	for _, r := range rs {
		key := k{r.DeviceID, r.Metric, r.Time.UnixMicro()}
		if seen[key] || !r.Time.After(last(r.DeviceID, r.Metric)) {
			continue
		}
		seen[key] = true
		out = append(out, r)
	}
	return out
}

// respondedNotes enter the history when a response was carried out, in
// both languages (shown by the page's language).
var respondedNotes = map[Grade]string{
	GradeRemind:    "已向经营主体发送风险提示 (risk prompt sent to the business)",
	GradeInterview: "已建立约谈记录 (interview record created for the department)",
	GradeCheck:     "已派发现场检查 (on-site check assigned to the department's inspectors)",
}

// respond carries out the actions in tx and enters each in its alert's history.
func (s *Service) respond(ctx context.Context, tx store.IDB, devices map[int64]RegisteredDevice, acts []Action, now time.Time) error {
	for _, a := range acts {
		note := respondedNotes[a.Grade]
		err := s.Responder.Respond(ctx, tx, devices[a.Alert.DeviceID].DepartmentID, a, now)
		var sk *Skipped
		switch {
		case errors.As(err, &sk):
			note = sk.Note
		case err != nil:
			return fmt.Errorf("monitoring: respond to alert %d: %w", a.Alert.ID, err)
		}
		if err := addEvent(ctx, tx, a.Alert.ID, now, EventResponded, a.Grade, 0, note); err != nil {
			return err
		}
	}
	return nil
}

// Sweep raises the gap (offline) firings due at now on every active
// device and carries out their responses, in one transaction.
func (s *Service) Sweep(ctx context.Context) ([]Action, error) {
	devices, err := s.Store.Devices(ctx, "")
	if err != nil {
		return nil, err
	}
	ids := map[int64]bool{}
	list := make([]Device, 0, len(devices))
	for id, d := range devices {
		ids[id] = true
		list = append(list, d.Device)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.restore(ctx, devices, ids); err != nil {
		return nil, err
	}
	now := s.Now()
	fs := s.engine.Sweep(now, list, func(d Device) time.Time { return devices[d.ID].Created })
	var acts []Action
	err = s.Store.DB.WithTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if acts, err = s.Store.ApplyFirings(ctx, tx, s.rules, fs, devices); err != nil {
			return err
		}
		return s.respond(ctx, tx, devices, acts, now)
	})
	return acts, err
}

// Run sweeps every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if acts, err := s.Sweep(ctx); err != nil {
			s.Log.Warn("monitoring gap sweep", "err", err)
		} else if len(acts) > 0 {
			s.Log.Info("monitoring gap sweep", "responses", len(acts))
		}
	}
}

// ServeHTTP handles POST /api/v1/monitoring/readings with a device token
// (Authorization: Bearer ysdev_…) and a body {"items": [...]}. The token
// is never logged: the access log names the route, not the header.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
		return
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(tok, "ysdev_") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="monitoring"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "device token required (设备令牌缺失)"})
		return
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(ct), "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "Content-Type must be application/json (须为 JSON)"})
		return
	}
	var body struct {
		Items []Reading `json:"items"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("body larger than %d bytes", MaxBody), "field": "items"})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON (请求格式错误): " + err.Error()})
		return
	}
	n, acts, err := s.Ingest(r.Context(), tok, body.Items)
	var fe *FieldError
	var fb *ForbiddenError
	switch {
	case errors.Is(err, ErrUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer realm="monitoring", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "unknown or revoked device token (设备令牌无效或已吊销)"})
	case errors.As(err, &fb):
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "device not allowed for this token (该令牌无权上报此设备)", "field": fb.Field})
	case errors.Is(err, ErrBatchTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": err.Error(), "field": "items"})
	case errors.As(err, &fe):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": fe.Msg, "field": fe.Field})
	case err != nil:
		s.Log.Error("monitoring ingest", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"stored": n, "received": len(body.Items), "responses": len(acts)})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
