package store

import (
	"database/sql"
	"slices"
	"testing"
	"time"
)

func TestIDLists(t *testing.T) {
	for _, ids := range [][]int64{nil, {7}, {3, 12, 7}} {
		s := FormatIDs(ids)
		if got := ParseIDs(s); !slices.Equal(got, ids) {
			t.Errorf("ParseIDs(FormatIDs(%v)) = %v (via %q)", ids, got, s)
		}
	}
	if FormatIDs([]int64{1, 12}) != ",1,12," || IDPattern(1) != "%,1,%" {
		t.Error("list format changed: stored rows depend on it")
	}
	// The pattern of 1 must not match a list holding only 12.
	if got := ParseIDs(",x,5,,"); !slices.Equal(got, []int64{5}) {
		t.Errorf("ParseIDs skips junk: %v", got)
	}
}

func TestNullableTimes(t *testing.T) {
	if Nullable(time.Time{}) != nil {
		t.Error("zero time not stored as NULL")
	}
	at := time.Date(2026, 10, 1, 8, 0, 0, 1500, time.FixedZone("CST", 8*3600))
	if got := Nullable(at).(time.Time); !got.Equal(Time(at)) || got.Location() != time.UTC {
		t.Errorf("Nullable(%v) = %v", at, got)
	}
	if !TimeOf(sql.NullTime{}).IsZero() || !TimeOf(sql.NullTime{Time: at, Valid: true}).Equal(at) {
		t.Error("TimeOf wrong")
	}
}
