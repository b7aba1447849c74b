package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/store"
)

// Page sizes for List.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ErrInvalidFilter is returned (wrapped) by List for a filter it cannot apply.
var ErrInvalidFilter = errors.New("audit: invalid filter")

// Filter selects entries for List. Zero fields do not filter.
type Filter struct {
	Seq        int64  // only the entry with this sequence number; 0 means any
	ActorID    int64  // entries by this user; 0 means any actor
	Action     string // exact action, or a prefix ending in ".*" ("flow.*")
	ObjectType string
	ObjectID   string // only together with ObjectType
	// RegionCode keeps entries whose region lies within this GB/T 2260 region
	// (a province code covers its cities and counties).
	RegionCode string
	Since      time.Time // at >= Since
	Until      time.Time // at < Until
	Limit      int       // page size; DefaultLimit when 0, at most MaxLimit
	Offset     int
}

type row struct {
	bun.BaseModel `bun:"table:audit_log"`
	Seq           int64     `bun:"seq,pk"`
	At            time.Time `bun:"at"`
	ActorID       int64     `bun:"actor_id"`
	ActorName     string    `bun:"actor_name"`
	Action        string    `bun:"action"`
	ObjectType    string    `bun:"object_type"`
	ObjectID      string    `bun:"object_id"`
	RegionCode    string    `bun:"region_code"`
	Detail        string    `bun:"detail"`
	PrevHash      string    `bun:"prev_hash"`
	Hash          string    `bun:"hash"`
}

// List returns one page of entries matching f, newest first, and the total
// number of matching entries.
func List(ctx context.Context, db store.IDB, f Filter) ([]Record, int, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, 0, fmt.Errorf("%w: negative limit or offset", ErrInvalidFilter)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	f.Limit = min(f.Limit, MaxLimit)
	if f.ObjectID != "" && f.ObjectType == "" {
		return nil, 0, fmt.Errorf("%w: object id without object type", ErrInvalidFilter)
	}
	var rows []row
	q := db.NewSelect().Model(&rows)
	if f.Seq != 0 {
		q = q.Where("seq = ?", f.Seq)
	}
	if f.ActorID != 0 {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if prefix, ok := strings.CutSuffix(f.Action, ".*"); ok {
		q = q.Where("substr(action, 1, ?) = ?", len(prefix)+1, prefix+".")
	} else if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	if f.RegionCode != "" {
		prefix, err := regionPrefix(f.RegionCode)
		if err != nil {
			return nil, 0, err
		}
		q = q.Where("region_code LIKE ?", prefix+"%")
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", store.Time(f.Since))
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", store.Time(f.Until))
	}
	total, err := q.OrderExpr("seq DESC").Limit(int64(f.Limit)).Offset(int64(f.Offset)).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: list: %w", err)
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = Record{Seq: r.Seq, At: r.At.UTC(), ActorID: r.ActorID, ActorName: r.ActorName,
			Action: r.Action, ObjectType: r.ObjectType, ObjectID: r.ObjectID,
			RegionCode: r.RegionCode, Detail: []byte(r.Detail), PrevHash: r.PrevHash, Hash: r.Hash}
	}
	return out, int(total), nil
}

// regionPrefix returns the code prefix shared by every region within code.
func regionPrefix(code string) (string, error) {
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", fmt.Errorf("%w: region code %q is not 6 digits", ErrInvalidFilter, code)
	}
	switch ids.RegionLevel(code) {
	case 1:
		return code[:2], nil
	case 2:
		return code[:4], nil
	default:
		return code, nil
	}
}
