package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every --file flag reads through readInput: a file or standard input, up
// to a limit that refuses instead of cutting.
func TestReadInput(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.yaml")
	if err := os.WriteFile(small, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{stdin: strings.NewReader("0123456789")}
	for _, c := range []struct {
		name, file string
		limit      int64
		want, err  string
	}{
		{"file", small, 100, "rules: []\n", ""},
		{"file over the limit", small, 5, "", "small.yaml is larger than 5 bytes"},
		{"missing file", filepath.Join(dir, "nope"), 100, "", "reading " + filepath.Join(dir, "nope")},
		{"no flag", "", 100, "", "--file is required"},
		{"stdin over the limit", "-", 9, "", "standard input is larger than 9 bytes"},
	} {
		got, err := readInput(e, c.file, c.limit)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
	}
	e.stdin = strings.NewReader("0123456789")
	if got, err := readInput(e, "-", 10); err != nil || string(got) != "0123456789" {
		t.Errorf("stdin at the limit: %q, %v", got, err)
	}
}
