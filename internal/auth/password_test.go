package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse", TestPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Errorf("hash %q is not in PHC format", h)
	}
	h2, _ := HashPassword("correct horse", TestPasswordParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse", true}, {"correct horsE", false}, {"", false}, {strings.Repeat("x", 300), false}} {
		if ok, err := VerifyPassword(h, tc.pw); ok != tc.want || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, pw := range []string{"", "1234567", "七个汉字的密码", strings.Repeat("x", MaxPasswordLength+1)} {
		if _, err := HashPassword(pw, TestPasswordParams); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("HashPassword(%q) err = %v, want ErrWeakPassword", pw, err)
		}
	}
	if _, err := HashPassword("八个汉字的好密码", TestPasswordParams); err != nil {
		t.Errorf("eight Chinese characters refused: %v", err)
	}
	def, _ := HashPassword("correct horse", PasswordParams{})
	if !strings.HasPrefix(def, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Errorf("default params hash = %q", def)
	}
}

func TestVerifyRejectsBadHashes(t *testing.T) {
	good, _ := HashPassword("correct horse", TestPasswordParams)
	for _, h := range []string{
		"",
		"$2a$10$abcdefghijklmnopqrstuv", // bcrypt
		strings.Replace(good, "$argon2id$", "$argon2i$", 1), // other variant
		strings.Replace(good, "m=64,", "m=4194304,", 1),     // absurd memory
		strings.Replace(good, "v=19", "v=16", 1),            // other version
		good[:len(good)-10],                                 // short key
	} {
		if ok, err := VerifyPassword(h, "correct horse"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want refusal", h, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("correct horse", TestPasswordParams)
	if needsRehash(h, TestPasswordParams) {
		t.Error("fresh hash needs rehash")
	}
	if !needsRehash(h, DefaultPasswordParams) {
		t.Error("cheap hash does not need rehash under default params")
	}
}
