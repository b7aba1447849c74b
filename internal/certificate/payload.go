package certificate

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"time"
)

// payloadVersion begins every signed payload, so a later format can never
// be confused with this one.
const payloadVersion = "yingshang-certificate-v1"

// payload is the canonical byte string a certificate's signature covers:
// every fact of the certificate as length-prefixed fields, fields sorted by
// key. Length prefixes make it unambiguous without any escaping, and the
// status is left out on purpose: revocation is a later fact recorded
// beside the signature, not a change to what was signed.
func payload(c *Certificate, idNumber string) []byte {
	var b []byte
	put := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	putTime := func(t time.Time) {
		if t.IsZero() {
			put("")
			return
		}
		put(t.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	put(payloadVersion)
	put(strconv.FormatInt(c.ID, 10))
	put(c.TypeCode)
	put(c.Number)
	put(string(c.HolderKind))
	put(c.HolderName)
	put(idNumber)
	put(c.HolderUSCC)
	put(strconv.FormatInt(c.IssuerDepartmentID, 10))
	putTime(c.IssuedAt)
	putTime(c.ValidFrom)
	putTime(c.ValidUntil)
	put(c.ApplicationRef)
	put(c.Algorithm)
	put(c.KeyID)
	keys := make([]string, 0, len(c.Fields))
	for k := range c.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	put(strconv.Itoa(len(keys)))
	for _, k := range keys {
		put(k)
		put(c.Fields[k])
	}
	return b
}

// checkLen is the number of signature-derived bytes a token carries. Nine
// bytes (72 bits) make guessing a valid token for a known id hopeless,
// while the token stays short enough for a small QR code.
const checkLen = 9

// certificateDomain separates certificate tokens from the other signed
// documents' (credit reports, notices), whose ids count apart.
const certificateDomain = "yingshang-certificate-token"

// tokenCheck derives a token's check bytes from the signature, so a token
// can only be made by someone who has seen the signed certificate.
func tokenCheck(sig []byte) []byte { return DomainCheck(certificateDomain, sig) }

// Token returns the compact verification token of a certificate:
// base64url of its id (uvarint) and the signature-derived check.
func Token(id int64, sig []byte) string { return DomainToken(certificateDomain, id, sig) }

// DomainCheck derives the check bytes of a signed document's token from
// its signature, under domain (each kind of document has its own, so a
// token of one kind never verifies as another).
func DomainCheck(domain string, sig []byte) []byte {
	h := sha256.New()
	h.Write([]byte(domain))
	h.Write(sig)
	return h.Sum(nil)[:checkLen]
}

// DomainToken returns the verification token a QR code carries for the
// signed document id of domain: base64url of the id (uvarint) and the
// signature-derived check. Certificates, credit reports and notices all
// use it, each with its own domain.
func DomainToken(domain string, id int64, sig []byte) string {
	b := binary.AppendUvarint(nil, uint64(id))
	b = append(b, DomainCheck(domain, sig)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadToken = errors.New("certificate: malformed token")

// parseToken splits a token into id and check.
func parseToken(tok string) (int64, []byte, error) { return SplitToken(tok) }

// SplitToken splits a token made by DomainToken into the document id and
// the check bytes, to compare (CheckMatches) with those of the stored
// signature. Anything else is refused before a database is asked.
func SplitToken(tok string) (int64, []byte, error) {
	if len(tok) == 0 || len(tok) > 32 {
		return 0, nil, errBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, nil, errBadToken
	}
	id, n := binary.Uvarint(raw)
	if n <= 0 || id == 0 || id > 1<<62 || len(raw)-n != checkLen {
		return 0, nil, errBadToken
	}
	return int64(id), raw[n:], nil
}

// CheckMatches compares a token's check with the expected one in constant
// time.
func CheckMatches(check, want []byte) bool { return checkMatches(check, want) }

// checkMatches compares a token's check with the expected one in constant
// time.
func checkMatches(check, want []byte) bool {
	return subtle.ConstantTimeCompare(check, want) == 1
}
