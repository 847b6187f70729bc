package seal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ring(t *testing.T, texts ...string) *Keys {
	t.Helper()
	k, err := Parse(strings.Join(texts, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := ring(t, NewKeyText())
	const secret = "https://hooks.example.com/services/T000/B000/s3cr3t"
	s := k.Seal(secret)
	if strings.Contains(s, "s3cr3t") || !IsSealed(s) || KeyOf(s) != k.Current() {
		t.Fatalf("sealed form %q", s)
	}
	if s == k.Seal(secret) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	got, err := k.Open(s)
	if err != nil || got != secret {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if k.Seal("") != "" {
		t.Error("empty must stay empty")
	}
	if got, err := k.Open("legacy plaintext"); err != nil || got != "legacy plaintext" {
		t.Errorf("plaintext passes through: %q, %v", got, err)
	}
}

func TestRotationAndWrongKey(t *testing.T) {
	oldText, newText := NewKeyText(), NewKeyText()
	old := ring(t, oldText)
	sealed := old.Seal("totp-secret")

	both := ring(t, newText, oldText)
	if got, err := both.Open(sealed); err != nil || got != "totp-secret" {
		t.Fatalf("old value under new ring: %q, %v", got, err)
	}
	if !both.Stale(sealed) || both.Stale(both.Seal("x")) || !both.Stale("plain") || both.Stale("") {
		t.Error("Stale is wrong")
	}

	onlyNew := ring(t, newText)
	if _, err := onlyNew.Open(sealed); !errors.Is(err, ErrKeyUnknown) || !strings.Contains(err.Error(), old.Current()) {
		t.Errorf("missing key: %v, want ErrKeyUnknown naming %s", err, old.Current())
	}

	// An altered value never opens to garbage.
	tampered := sealed[:len(sealed)-2] + "AA"
	if tampered == sealed {
		tampered = sealed[:len(sealed)-2] + "BB"
	}
	if got, err := old.Open(tampered); !errors.Is(err, ErrDamaged) {
		t.Errorf("tampered: %q, %v", got, err)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"", "# only a comment", "not-base64!!", "c2hvcnQ="} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	a, b := NewKeyText(), NewKeyText()
	k := ring(t, a+", "+strings.TrimRight(b, "="))
	if len(k.IDs()) != 2 {
		t.Errorf("ids %v", k.IDs())
	}
}

func TestLoadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	k, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	again, created, err := LoadOrCreate(path)
	if err != nil || created || again.Current() != k.Current() {
		t.Fatalf("reload: %v %v", created, err)
	}
}

func FuzzOpen(f *testing.F) {
	k, _ := Parse(NewKeyText())
	f.Add(k.Seal("hello"))
	f.Add("vgs1:")
	f.Add("vgs1:abc:")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := k.Open(s)
		if err == nil && !IsSealed(s) && got != s {
			t.Fatalf("plaintext changed: %q", got)
		}
	})
}

func FuzzParse(f *testing.F) {
	f.Add(NewKeyText() + "\n" + NewKeyText())
	f.Add("# c\n,,")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			return
		}
		if v, err := k.Open(k.Seal("x")); err != nil || v != "x" {
			t.Fatalf("round trip: %q %v", v, err)
		}
	})
}
