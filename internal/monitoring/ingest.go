package monitoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/yingshang/yingshang/internal/store"
)

// Service receives readings and evaluates rules on them.
type Service struct {
	Store     *Store
	Responder Responder
	Now       func() time.Time
	// SkipRules stores readings without evaluating rules (the baseline of
	// the ingest benchmark).
	SkipRules bool

	mu     sync.Mutex // serialises batches: engine and book state
	engine *Engine
	book   *Book
}

// NewService returns a service for the rule set.
func NewService(st *Store, rs *RuleSet, r Responder) *Service {
	return &Service{Store: st, Responder: r, Now: time.Now, engine: NewEngine(rs), book: NewBook(rs)}
}

// Book returns the alert book (for pages and tests).
func (s *Service) Book() *Book { return s.book }

// Ingest validates and stores a batch for the business the token's device
// belongs to, all or nothing, and carries out the graded responses due.
func (s *Service) Ingest(ctx context.Context, token string, rs []Reading) (int64, []Action, error) {
	dev, err := s.Store.Authenticate(ctx, token)
	if err != nil {
		return 0, nil, err
	}
	devices, err := s.Store.Devices(ctx, dev.USCC)
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := func(id int64, metric string) time.Time {
		if m := s.engine.last[id]; m != nil {
			return m[metric].t
		}
		return time.Time{}
	}
	now := s.Now()
	if err := ValidateBatch(rs, devices, last, now); err != nil {
		return 0, nil, err
	}
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
		acts = s.book.Apply(s.engine.Evaluate(rs, devices))
		for _, a := range acts {
			if err := s.Responder.Respond(ctx, tx, dev.DepartmentID, a, now); err != nil {
				return fmt.Errorf("monitoring: respond to alert %d: %w", a.Alert.ID, err)
			}
		}
		return nil
	})
	return n, acts, err
}

// ServeHTTP handles POST /api/v1/monitoring/readings with a device token
// (Authorization: Bearer ysdev_…) and a body {"items": [...]}.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "device token required"})
		return
	}
	var body struct {
		Items []Reading `json:"items"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 2<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON: " + err.Error()})
		return
	}
	n, acts, err := s.Ingest(r.Context(), tok, body.Items)
	var fe *FieldError
	switch {
	case errors.Is(err, ErrUnauthorized):
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": err.Error()})
	case errors.As(err, &fe):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": fe.Msg, "field": fe.Field})
	case err != nil:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"stored": n, "received": len(body.Items), "responses": len(acts)})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
