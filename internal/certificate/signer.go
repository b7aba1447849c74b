package certificate

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/yingshang/yingshang/internal/edkey"
)

// Signer signs the canonical payload of a certificate. The platform signs
// with Ed25519 today; an SM2 signer (GB/T 32918) can take its place behind
// the same interface when a national-algorithm key is required.
type Signer interface {
	// KeyID names the key, so a verifier can pick the matching public key
	// after the signing key has been rotated.
	KeyID() string
	// Algorithm names the signature scheme, such as "Ed25519".
	Algorithm() string
	Sign(payload []byte) ([]byte, error)
}

// Verifier checks a signature made by the key keyID.
type Verifier interface {
	Verify(keyID string, payload, sig []byte) error
}

// ErrBadSignature is returned (wrapped) by Verify when a signature does not
// verify or names an unknown key.
var ErrBadSignature = errors.New("certificate: signature does not verify")

// AlgEd25519 is the algorithm name of Ed25519 signatures.
const AlgEd25519 = "Ed25519"

// KeyFileName is the file in the data directory holding the generated
// signing key when none is configured.
const KeyFileName = "certificate-signing.key"

// Ed25519Signer signs with one Ed25519 private key.
type Ed25519Signer struct {
	priv ed25519.PrivateKey
	id   string
}

// NewEd25519Signer returns a signer for priv.
func NewEd25519Signer(priv ed25519.PrivateKey) *Ed25519Signer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Ed25519Signer{priv: priv, id: KeyIDOf(pub)}
}

// KeyIDOf derives a key id from a public key: the first eight bytes of its
// SHA-256, in hex, so the same key always has the same id.
func KeyIDOf(pub ed25519.PublicKey) string { return edkey.ID(pub) }

// KeyID returns the key id.
func (s *Ed25519Signer) KeyID() string { return s.id }

// Algorithm returns "Ed25519".
func (s *Ed25519Signer) Algorithm() string { return AlgEd25519 }

// Sign signs payload.
func (s *Ed25519Signer) Sign(payload []byte) ([]byte, error) {
	return ed25519.Sign(s.priv, payload), nil
}

// PublicKey returns the public half of the key, to publish or to keep in a
// key ring after the key is retired.
func (s *Ed25519Signer) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// LoadKey returns the signing key. A non-empty seed (64 hex characters, as
// from configuration) is used as is; otherwise the key is read from
// KeyFileName in dataDir, which is created with a fresh key (mode 0600) on
// first start (see package edkey, which loads the audit key the same way).
func LoadKey(seed, dataDir string) (*Ed25519Signer, error) {
	priv, err := edkey.Load(seed, filepath.Join(dataDir, KeyFileName), true)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	return NewEd25519Signer(priv), nil
}

// KeyRing verifies signatures by any of its public keys: the current key
// and the retired ones whose certificates are still in circulation. It is
// safe for concurrent use.
//
// An Ed25519 verification costs about 0.1 ms of CPU, as much as the rest of
// a public verification request together, and the same certificate is
// scanned again and again. So the ring remembers, by SHA-256, the (key,
// payload, signature) triples it found good: verification is a pure
// function of those bytes, so a remembered answer is always right, and a
// record changed in the database gives a different payload and is checked
// afresh. Only good signatures are remembered, at most maxVerified.
type KeyRing struct {
	mu       sync.RWMutex
	keys     map[string]ed25519.PublicKey
	verified map[[sha256.Size]byte]struct{}
}

// maxVerified bounds the remembered good signatures (about 4 MB).
const maxVerified = 1 << 16

// verifiedKey identifies a (key id, payload, signature) triple; the lengths
// keep different splits of the same bytes apart.
func verifiedKey(keyID string, payload, sig []byte) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, b := range [][]byte{[]byte(keyID), payload, sig} {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// NewKeyRing returns a ring holding keys.
func NewKeyRing(keys ...ed25519.PublicKey) *KeyRing {
	r := &KeyRing{keys: map[string]ed25519.PublicKey{}}
	for _, k := range keys {
		r.Add(k)
	}
	return r
}

// Add puts pub on the ring under its key id and returns the id.
func (r *KeyRing) Add(pub ed25519.PublicKey) string {
	id := KeyIDOf(pub)
	r.mu.Lock()
	r.keys[id] = pub
	r.mu.Unlock()
	return id
}

// AddEncoded adds retired public keys given as a comma-separated list of
// base64 (standard or URL alphabet) Ed25519 public keys, as configuration
// holds them.
func (r *KeyRing) AddEncoded(list string) error {
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		pub, err := edkey.ParsePublic(item)
		if err != nil {
			return fmt.Errorf("certificate: retired key: %w", err)
		}
		r.Add(pub)
	}
	return nil
}

// Verify checks sig over payload with the key keyID.
func (r *KeyRing) Verify(keyID string, payload, sig []byte) error {
	vk := verifiedKey(keyID, payload, sig)
	r.mu.RLock()
	pub, ok := r.keys[keyID]
	_, known := r.verified[vk]
	r.mu.RUnlock()
	if !ok {
		return fmt.Errorf("certificate: unknown key %q: %w", keyID, ErrBadSignature)
	}
	if known {
		return nil
	}
	if !ed25519.Verify(pub, payload, sig) {
		return ErrBadSignature
	}
	r.mu.Lock()
	if r.verified == nil || len(r.verified) >= maxVerified {
		r.verified = make(map[[sha256.Size]byte]struct{})
	}
	r.verified[vk] = struct{}{}
	r.mu.Unlock()
	return nil
}
