// Package pii protects people's identifying numbers (ID card and phone
// numbers): it encrypts them for storage, derives a keyed hash so they can
// still be found by exact value, and masks them for display.
//
// Encryption is AES-256-GCM with a random nonce per value; the lookup hash is
// HMAC-SHA256 under a key derived separately from the same secret, so the
// hash reveals nothing without the key and equal values still match.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Box encrypts, decrypts and indexes personal numbers under one secret.
type Box struct {
	aead     cipher.AEAD
	indexKey []byte
}

// KeyFileName is the file in the data directory holding a generated secret
// when YS_SECRET_KEY is not set.
const KeyFileName = "secret.key"

// New returns a Box keyed by secret. Any non-empty secret works; it is
// stretched into separate encryption and index keys.
func New(secret []byte) (*Box, error) {
	if len(secret) < 16 {
		return nil, errors.New("pii: secret key must be at least 16 bytes")
	}
	encKey := derive(secret, "yingshang pii encryption v1")
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return &Box{aead: aead, indexKey: derive(secret, "yingshang pii index v1")}, nil
}

func derive(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// LoadSecret returns the secret from value when it is non-empty, otherwise
// from the key file in dataDir, creating that file with a fresh random key
// (mode 0600) on first use.
func LoadSecret(value, dataDir string) ([]byte, error) {
	if value != "" {
		return []byte(value), nil
	}
	path := filepath.Join(dataDir, KeyFileName)
	b, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(b))
		if len(key) < 16 {
			return nil, fmt.Errorf("pii: key file %s is too short", path)
		}
		return []byte(key), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("pii: read key file: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("pii: generate key: %w", err)
	}
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("pii: write key file: %w", err)
	}
	return []byte(key), nil
}

// Seal encrypts plaintext for storage. The empty string stays empty so that
// optional fields need no special casing.
func (b *Box) Seal(plaintext string) string {
	if plaintext == "" {
		return ""
	}
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), nil)
	return "v1:" + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value produced by Seal.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	enc, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return "", errors.New("pii: unknown ciphertext version")
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("pii: malformed ciphertext")
	}
	n := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:n], raw[n:], nil)
	if err != nil {
		return "", errors.New("pii: ciphertext does not authenticate (wrong key or tampered)")
	}
	return string(pt), nil
}

// Index returns the keyed hash used to find a value by exact match. Values
// are upper-cased and trimmed first, so "11010519491231002x" and
// "11010519491231002X" find the same row.
func (b *Box) Index(value string) string {
	if value == "" {
		return ""
	}
	m := hmac.New(sha256.New, b.indexKey)
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil))
}

// MaskPhone shows a phone number's first three and last four digits:
// 138****5678. Shorter numbers keep only their last two characters.
func MaskPhone(s string) string { return mask(s, 3, 4) }

// MaskID shows an identity number's first three and last four characters:
// 150********1234.
func MaskID(s string) string { return mask(s, 3, 4) }

// MaskName keeps the family name and hides the rest: 张** .
func MaskName(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return s
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + strings.Repeat("*", n-1)
}

func mask(s string, head, tail int) string {
	rs := []rune(s)
	if len(rs) == 0 {
		return ""
	}
	if len(rs) <= head+tail {
		if len(rs) <= 2 {
			return strings.Repeat("*", len(rs))
		}
		return strings.Repeat("*", len(rs)-2) + string(rs[len(rs)-2:])
	}
	return string(rs[:head]) + strings.Repeat("*", len(rs)-head-tail) + string(rs[len(rs)-tail:])
}
