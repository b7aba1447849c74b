package audit_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/yingshang/yingshang/internal/audit"
)

// An entry's hash covers the hash of the entry before it: that is what
// makes the log a chain, so that changing or dropping an earlier entry
// breaks every later hash. The expected value is computed here from the
// documented encoding (version tag, then each field as an 8-byte
// big-endian length and its bytes), not with the package's own function.
func TestEntryHashChainsThePreviousHash(t *testing.T) {
	r := audit.Record{Seq: 7, At: time.Date(2026, 9, 30, 2, 0, 0, 123456000, time.UTC), ActorID: 3, ActorName: "派单员",
		Action: "hotline.dispatch", ObjectType: "hotline_order", ObjectID: "42", RegionCode: "990102",
		Detail: json.RawMessage(`{"lead":7}`), PrevHash: "ab12"}
	h := sha256.New()
	h.Write([]byte("yingshang-audit-v1"))
	for _, f := range []string{"7", "2026-09-30T02:00:00.123456Z", "3", "派单员", "hotline.dispatch", "hotline_order", "42",
		"990102", `{"lead":7}`, "ab12"} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	if got, want := audit.ComputeHash(&r), hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("hash %s, want %s (the documented encoding, previous hash included)", got, want)
	}
	other := r
	other.PrevHash = "cd34"
	if audit.ComputeHash(&other) == audit.ComputeHash(&r) {
		t.Error("two entries differing only in the previous hash hash alike: the chain does not bind")
	}
}
