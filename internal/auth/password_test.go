package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("Correct horse 1", "wangwu", TestPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(h) {
		t.Errorf("hash %q is not in PHC format", h)
	}
	h2, _ := HashPassword("Correct horse 1", "wangwu", TestPasswordParams)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"Correct horse 1", true}, {"correct horsE", false}, {"", false}, {strings.Repeat("x", 300), false}} {
		if ok, err := VerifyPassword(h, tc.pw); ok != tc.want || err != nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, pw := range []string{"", "1234567", "七个汉字的密码", strings.Repeat("x", MaxPasswordLength+1)} {
		if _, err := HashPassword(pw, "wangwu", TestPasswordParams); !errors.Is(err, ErrWeakPassword) {
			t.Errorf("HashPassword(%q) err = %v, want ErrWeakPassword", pw, err)
		}
	}
	if _, err := HashPassword("八个汉字的好密码1a", "wangwu", TestPasswordParams); err != nil {
		t.Errorf("Chinese characters with a digit and a letter refused: %v", err)
	}
	def, _ := HashPassword("Correct horse 1", "wangwu", PasswordParams{})
	if !strings.HasPrefix(def, "$argon2id$v=19$m=65536,t=2,p=2$") {
		t.Errorf("default params hash = %q", def)
	}
}

func TestVerifyRejectsBadHashes(t *testing.T) {
	good, _ := HashPassword("Correct horse 1", "wangwu", TestPasswordParams)
	for _, h := range []string{
		"",
		"$2a$10$abcdefghijklmnopqrstuv", // bcrypt
		strings.Replace(good, "$argon2id$", "$argon2i$", 1), // other variant
		strings.Replace(good, "m=64,", "m=4194304,", 1),     // absurd memory
		strings.Replace(good, "v=19", "v=16", 1),            // other version
		good[:len(good)-10],                                 // short key
	} {
		if ok, err := VerifyPassword(h, "Correct horse 1"); ok || err == nil {
			t.Errorf("VerifyPassword(%q) = %v, %v; want refusal", h, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := HashPassword("Correct horse 1", "wangwu", TestPasswordParams)
	if needsRehash(h, TestPasswordParams) {
		t.Error("fresh hash needs rehash")
	}
	if !needsRehash(h, DefaultPasswordParams) {
		t.Error("cheap hash does not need rehash under default params")
	}
}

func TestCheckPassword(t *testing.T) {
	for _, tc := range []struct {
		pw, user string
		want     error
	}{
		{"Ab1!xyz", "wangwu", ErrPasswordLength},                  // 7 characters
		{strings.Repeat("Ab1!", 65), "wangwu", ErrPasswordLength}, // 260 bytes
		{"abcdefgh", "wangwu", ErrPasswordKinds},                  // one kind
		{"abcd1234x", "wangwu", ErrPasswordKinds},                 // two kinds
		{"ABCDxyzw", "wangwu", ErrPasswordKinds},                  // two kinds
		{"汉字汉字汉字汉字a", "wangwu", ErrPasswordKinds},                 // others and lower
		{"Wangwu-2026", "wangwu", ErrPasswordUsername},            // the username, any case
		{"my.WANGWU.9", "WangWu", ErrPasswordUsername},            // inside, upper case
		{"P@ssw0rd", "wangwu", ErrPasswordCommon},                 // on the list as is
		{"Admin@123", "wangwu", ErrPasswordCommon},                // typical office password
		{"1qaz@WSX", "wangwu", ErrPasswordCommon},                 // keyboard walk
		{"Woaini1314!", "wangwu", ErrPasswordCommon},              // woaini plus digits and a symbol
		{"A123456.", "wangwu", ErrPasswordCommon},                 // a123456 with a symbol
		{"Qwertyuiop1", "wangwu", ErrPasswordCommon},              // listed stem, digits added
		{"Correct horse 1", "wangwu", nil},                        // four kinds
		{"Yunlan@2026", "yunlan_food", nil},                       // the demo's: username not inside
		{"云澜市Yl2026", "wangwu", nil},                              // Chinese counts as a kind of its own
		{"Love2024!", "wangwu", nil},                              // a short stem is not looked up
		{"Zq7#mt", "wangwu", ErrPasswordLength},                   // kinds do not excuse length
		{"Qiu-shui-2468", "", nil},                                // no username to compare
		{"Woaini-s0-much", "wangwu", nil},                         // a listed word inside is fine
		{"ZHANGSAN-1990", "zhangsan", ErrPasswordUsername},        // reported before the list
	} {
		err := CheckPassword(tc.pw, tc.user)
		if tc.want == nil {
			if err != nil {
				t.Errorf("CheckPassword(%q, %q) = %v, want nil", tc.pw, tc.user, err)
			}
			continue
		}
		if err != tc.want || !errors.Is(err, ErrWeakPassword) {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", tc.pw, tc.user, err, tc.want)
		}
	}
}

// The list is loaded from the embedded file: a few thousand entries, among
// them the Chinese favourites, lower case, without comments.
func TestCommonPasswordsList(t *testing.T) {
	set := commonPasswords()
	if len(set) < 1500 {
		t.Errorf("%d common passwords, want at least 1500", len(set))
	}
	for _, pw := range []string{"woaini1314", "a123456", "qq123456", "5201314a", "zhang123", "1qaz2wsx", "p@ssw0rd", "iloveyou"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("%q is not on the list", pw)
		}
	}
	for pw := range set {
		if pw != strings.ToLower(pw) || strings.HasPrefix(pw, "#") || strings.TrimSpace(pw) != pw {
			t.Errorf("list entry %q is not a lower-case password", pw)
		}
	}
}
