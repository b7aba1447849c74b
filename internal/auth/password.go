package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits. The minimum follows the level-3 (等级保护)
// expectation of eight characters; the maximum only bounds the work one
// request can cause.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// ErrWeakPassword matches (errors.Is) every *WeakPasswordError: a password
// that CheckPassword refuses.
var ErrWeakPassword = errors.New("auth: password does not meet the rules (密码不符合要求)")

// WeakPasswordError says which rule a new password breaks. Code names the
// rule ("length", "kinds", "username", "common") for callers that show
// their own message; Text is a bilingual message for those that do not.
type WeakPasswordError struct {
	Code string
	Text string
}

func (e *WeakPasswordError) Error() string { return "auth: " + e.Text }

// Is makes every WeakPasswordError match ErrWeakPassword.
func (e *WeakPasswordError) Is(target error) bool { return target == ErrWeakPassword }

// The rules CheckPassword applies, as errors.
var (
	ErrPasswordLength = &WeakPasswordError{Code: "length",
		Text: "密码须为8至256个字符 (password must be 8 to 256 characters)"}
	ErrPasswordKinds = &WeakPasswordError{Code: "kinds",
		Text: "密码须包含大写字母、小写字母、数字、符号中的至少三类 (password must mix three of: upper-case letters, lower-case letters, digits, symbols)"}
	ErrPasswordUsername = &WeakPasswordError{Code: "username",
		Text: "密码不得包含用户名 (password must not contain the username)"}
	ErrPasswordCommon = &WeakPasswordError{Code: "common",
		Text: "密码过于常见，容易被猜中 (password is too common)"}
)

// PasswordParams are the argon2id cost parameters used for new hashes.
// Existing hashes keep the parameters they were made with (they are part of
// the stored string), so the cost can be raised without breaking sign-in.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams is argon2id with 64 MiB, 2 passes and 2 lanes, in
// line with RFC 9106's memory-constrained recommendation.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}

// TestPasswordParams are cheap parameters for tests only; they give no real
// protection.
var TestPasswordParams = PasswordParams{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

func (p PasswordParams) orDefault() PasswordParams {
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 {
		return DefaultPasswordParams
	}
	if p.SaltLen == 0 {
		p.SaltLen = 16
	}
	if p.KeyLen == 0 {
		p.KeyLen = 32
	}
	return p
}

// CheckPassword reports whether password is acceptable as a new password
// for the account username: MinPasswordLength to MaxPasswordLength
// characters, at least three of the four kinds (upper-case letters,
// lower-case letters, digits, anything else), not containing the username
// (in any case), and not a common password (see isCommon). It returns one
// of the ErrPassword… errors, the first rule broken.
func CheckPassword(password, username string) error {
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLength || len(password) > MaxPasswordLength {
		return ErrPasswordLength
	}
	if passwordKinds(password) < 3 {
		return ErrPasswordKinds
	}
	lower := strings.ToLower(password)
	if u := strings.ToLower(strings.TrimSpace(username)); u != "" && strings.Contains(lower, u) {
		return ErrPasswordUsername
	}
	if isCommon(lower) {
		return ErrPasswordCommon
	}
	return nil
}

// passwordKinds counts the kinds of character in p: upper-case letters,
// lower-case letters, digits and others (symbols, spaces, and letters
// without case such as Chinese characters).
func passwordKinds(p string) int {
	var upper, lower, digit, other int
	for _, r := range p {
		switch {
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return upper + lower + digit + other
}

// HashPassword checks password (CheckPassword, for the account username)
// and returns its argon2id hash in the PHC
// string format: $argon2id$v=19$m=65536,t=2,p=2$salt$hash (unpadded
// standard base64). Zero params mean DefaultPasswordParams.
func HashPassword(password, username string, p PasswordParams) (string, error) {
	if err := CheckPassword(password, username); err != nil {
		return "", err
	}
	return hashPassword(password, p.orDefault()), nil
}

func hashPassword(password string, p PasswordParams) string {
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// errBadHash reports a stored hash this package cannot read.
var errBadHash = errors.New("auth: malformed password hash")

// parseHash splits a PHC argon2id string. The bounds on the parameters stop
// a tampered row from making one sign-in allocate gigabytes.
func parseHash(encoded string) (p PasswordParams, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errBadHash
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.Memory < 8*uint32(p.Threads) || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return p, nil, nil, errBadHash
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errBadHash
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC-format hash
// encoded, comparing in constant time. It returns an error only when the
// hash itself is unreadable.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	if len(password) > MaxPasswordLength {
		return false, nil
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// needsRehash reports whether a stored hash was made with parameters other
// than p, so a successful sign-in can upgrade it.
func needsRehash(encoded string, p PasswordParams) bool {
	got, _, _, err := parseHash(encoded)
	return err != nil || got.Memory != p.Memory || got.Time != p.Time || got.Threads != p.Threads || got.KeyLen != p.KeyLen
}
