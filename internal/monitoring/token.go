package monitoring

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// NewDeviceToken returns a fresh device token, to be shown once, and the
// hash to store. Device tokens are random 256-bit secrets, so a plain
// SHA-256 (not a slow password hash) suffices and keeps ingest fast.
func NewDeviceToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("monitoring: device token: %w", err)
	}
	token = "ysdev_" + base64.RawURLEncoding.EncodeToString(b)
	return token, HashDeviceToken(token), nil
}

// HashDeviceToken returns the stored form of a token.
func HashDeviceToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// TokenMatches reports whether token hashes to hash, in constant time.
func TokenMatches(token, hash string) bool {
	return subtle.ConstantTimeCompare([]byte(HashDeviceToken(token)), []byte(hash)) == 1
}
