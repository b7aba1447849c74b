package certificate_test

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/yingshang/yingshang/internal/certificate"
)

// The ring remembers good signatures; a remembered one must not make a
// changed payload, another signature or another key pass.
func TestKeyRingRemembersOnlyGoodSignatures(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _, _ := ed25519.GenerateKey(nil)
	r := certificate.NewKeyRing(pub)
	id, otherID := certificate.KeyIDOf(pub), r.Add(other)
	payload := []byte("CT-SPJY|云澜味道餐饮有限公司|2026-11-22")
	sig := ed25519.Sign(priv, payload)
	for i := range 2 { // the second answer comes from memory
		if err := r.Verify(id, payload, sig); err != nil {
			t.Fatalf("round %d: good signature: %v", i, err)
		}
	}
	changed := append([]byte{}, payload...)
	changed[0] = 'X'
	bad := append([]byte{}, sig...)
	bad[10] ^= 1
	for name, c := range map[string]struct {
		key          string
		payload, sig []byte
	}{
		"changed payload":   {id, changed, sig},
		"changed signature": {id, payload, bad},
		"other key":         {otherID, payload, sig},
		"unknown key":       {"nope", payload, sig},
	} {
		if err := r.Verify(c.key, c.payload, c.sig); !errors.Is(err, certificate.ErrBadSignature) {
			t.Errorf("%s: err %v, want ErrBadSignature", name, err)
		}
	}
}
