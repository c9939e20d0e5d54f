package account

import (
	"strings"
	"testing"
)

var fastParams = HashParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordHashRoundTrip(t *testing.T) {
	t.Parallel()
	h, err := HashPassword("en lång lösenfras med åäö", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=8192,t=1,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	if ok, _, err := VerifyPassword("en lång lösenfras med åäö", h, fastParams); !ok || err != nil {
		t.Fatalf("right password refused: %v", err)
	}
	if ok, _, _ := VerifyPassword("en lång lösenfras med aao", h, fastParams); ok {
		t.Fatal("wrong password accepted")
	}
	h2, _ := HashPassword("en lång lösenfras med åäö", fastParams)
	if h == h2 {
		t.Fatal("two hashes of one password are equal; the salt is not random")
	}
}

func TestPasswordRehashWhenParametersGrow(t *testing.T) {
	t.Parallel()
	h, _ := HashPassword("hemligt-lösen", fastParams)
	stronger := fastParams
	stronger.Time = 2
	ok, rehash, err := VerifyPassword("hemligt-lösen", h, stronger)
	if !ok || !rehash || err != nil {
		t.Fatalf("ok=%v rehash=%v err=%v; want a rehash to stronger parameters", ok, rehash, err)
	}
	if _, rehash, _ := VerifyPassword("fel", h, stronger); rehash {
		t.Fatal("rehash suggested after a wrong password")
	}
}

func TestMalformedHashRefused(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"", "x", "$argon2i$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=1,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5"} {
		if _, _, err := VerifyPassword("x", h, fastParams); err != ErrMalformedHash {
			t.Errorf("hash %q: err %v; want ErrMalformedHash", h, err)
		}
	}
}
