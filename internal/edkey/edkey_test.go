package edkey_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yingshang/yingshang/internal/edkey"
)

// A key file is generated once with mode 0600 and read back the same; a
// configured seed wins; without create a missing file is an error, not a
// new key; a malformed seed is refused.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "k.key")
	if _, err := edkey.Load("", path, false); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load without create: err %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load without create wrote a key file: %v", err)
	}
	k1, err := edkey.Load("", path, true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	k2, err := edkey.Load("", path, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second Load gave another key (%v)", err)
	}
	seed := strings.Repeat("ab", 32)
	k3, err := edkey.Load(seed, path, true)
	if err != nil || hex.EncodeToString(k3.Seed()) != seed {
		t.Fatalf("configured seed not used: %v", err)
	}
	for _, bad := range []string{"xyz", strings.Repeat("ab", 31)} {
		if _, err := edkey.Load(bad, path, true); err == nil {
			t.Errorf("seed %q accepted", bad)
		}
	}
}

func TestParsePublic(t *testing.T) {
	k, _ := edkey.Load(strings.Repeat("01", 32), "", false)
	pub := k.Public().(ed25519.PublicKey)
	raw := []byte(k[32:])
	for _, s := range []string{base64.StdEncoding.EncodeToString(raw), base64.RawURLEncoding.EncodeToString(raw),
		hex.EncodeToString(raw), " " + base64.StdEncoding.EncodeToString(raw) + "\n"} {
		got, err := edkey.ParsePublic(s)
		if err != nil || !pub.Equal(got) {
			t.Errorf("ParsePublic(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "abc", base64.StdEncoding.EncodeToString(raw[:31])} {
		if _, err := edkey.ParsePublic(s); err == nil {
			t.Errorf("ParsePublic(%q) accepted", s)
		}
	}
	if id := edkey.ID(raw); !strings.HasPrefix(id, "ed25519-") || len(id) != 8+16 {
		t.Errorf("ID = %q", id)
	}
}
