// Package edkey loads the Ed25519 signing keys the platform keeps outside
// its database: the key signing e-certificates and the key signing audit
// tree heads. A key comes from configuration as a hex seed or, when none is
// configured, from a file in the data directory that is generated (mode
// 0600) on first start, so a new node works without setup while an
// operator can still pin the key.
package edkey

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Load returns the key whose hex seed is seed when seed is not empty, and
// otherwise the key in the file at path. When the file does not exist and
// create is set, a fresh key is written there (mode 0600, its directory
// 0700); without create the error wraps os.ErrNotExist, so a read-only
// tool such as a verifier never invents a key.
func Load(seed, path string, create bool) (ed25519.PrivateKey, error) {
	if seed != "" {
		return FromHex(seed, "configuration")
	}
	b, err := os.ReadFile(path)
	if err == nil {
		return FromHex(strings.TrimSpace(string(b)), path)
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	raw := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("signing key directory: %w", err)
	}
	// O_EXCL: two nodes starting together on one data directory must not
	// overwrite each other's key; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return Load("", path, false)
	}
	if err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(raw) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	return ed25519.NewKeyFromSeed(raw), nil
}

// FromHex returns the key whose seed is the hex string s; from names where
// s came from, for the error.
func FromHex(s, from string) (ed25519.PrivateKey, error) {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key from %s must be %d hex-encoded bytes", from, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(raw), nil
}

// ID derives a key id from a public key: "ed25519-" and the first eight
// bytes of its SHA-256 in hex, so the same key always has the same id and
// a verifier can pick the right key after a rotation.
func ID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "ed25519-" + hex.EncodeToString(sum[:8])
}

// ParsePublic reads an Ed25519 public key written as standard or URL-safe
// base64 (padded or not) or as hex, as configuration and published key
// documents hold it.
func ParsePublic(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if raw, err := dec(s); err == nil && len(raw) == ed25519.PublicKeySize {
			return ed25519.PublicKey(raw), nil
		}
	}
	return nil, fmt.Errorf("%q is not a base64 or hex Ed25519 public key", s)
}
