package pii

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenIndex(t *testing.T) {
	b, err := New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	const id = "11010519491231002X"
	s1, s2 := b.Seal(id), b.Seal(id)
	if s1 == s2 {
		t.Error("two seals of one value are equal: nonce reused")
	}
	if strings.Contains(s1, "1949") {
		t.Error("sealed value contains plaintext")
	}
	got, err := b.Open(s1)
	if err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Tampering is detected.
	raw := []byte(s1)
	raw[len(raw)-3] ^= 1
	if _, err := b.Open(string(raw)); err == nil {
		t.Error("tampered ciphertext opened")
	}
	// Another key can neither open nor match.
	other, _ := New([]byte("another secret of sufficient size"))
	if _, err := other.Open(s1); err == nil {
		t.Error("other key opened the value")
	}
	if b.Index(id) != b.Index(" 11010519491231002x") {
		t.Error("index not normalized")
	}
	if b.Index(id) == other.Index(id) || b.Index(id) == b.Index("110105194912310021") {
		t.Error("index does not depend on key and value")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("short secret accepted")
	}
}

func TestMask(t *testing.T) {
	cases := map[string]string{
		MaskPhone("13812345678"):     "138****5678",
		MaskID("150102199003071234"): "150***********1234",
		MaskName("张三丰"):              "张**",
		MaskPhone(""):                "",
		MaskPhone("110"):             "*10",
	}
	for got, want := range cases {
		if got != want {
			t.Errorf("mask: got %q want %q", got, want)
		}
	}
}

func TestLoadSecretGeneratesOnce(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadSecret("", dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadSecret("", dir)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("second load differs: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, err %v", fi.Mode().Perm(), err)
	}
	if k, _ := LoadSecret("from-environment-0123", dir); string(k) != "from-environment-0123" {
		t.Error("explicit secret ignored")
	}
}
