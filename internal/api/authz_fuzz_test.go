package api

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzBodyTeam: peeking at a body's team_id never panics, never answers
// anything but CodeInvalid, and always hands the handler the body intact.
func FuzzBodyTeam(f *testing.F) {
	for _, s := range []string{`{"team_id": 3}`, `{"team_id": "3"}`, `{"team_id": 1e99}`, `{"team_id": null}`, `[`, ``, `{"team_id": -1, "x": [1,2]}`} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, body []byte, post bool) {
		method := "PATCH"
		if post {
			method = "POST"
		}
		r := httptest.NewRequest(method, "/api/v1/services/1", bytes.NewReader(body))
		teams, err := bodyTeam(nil, r)
		if err != nil && vigil.ErrorCode(err) != vigil.CodeInvalid {
			t.Fatalf("bodyTeam(%q) = %v", body, err)
		}
		if err == nil && post && len(teams) != 1 {
			t.Fatalf("a create names %v teams", teams)
		}
		rest, _ := io.ReadAll(r.Body)
		if !bytes.Equal(rest, body) {
			t.Fatalf("the handler would read %q, not %q", rest, body)
		}
	})
}

// FuzzNormalizeScopes: any scope list is refused with the field named, or
// comes back as known scopes without repeats.
func FuzzNormalizeScopes(f *testing.F) {
	f.Add("read", "admin", "read")
	f.Add("", "INGEST ", "x")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		got, err := vigil.NormalizeScopes([]string{a, b, c})
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid {
				t.Fatal(err)
			}
			return
		}
		seen := map[string]bool{}
		for _, s := range got {
			if seen[s] || !vigil.ScopeAllows(s, s) {
				t.Fatalf("NormalizeScopes = %v", got)
			}
			seen[s] = true
		}
	})
}
