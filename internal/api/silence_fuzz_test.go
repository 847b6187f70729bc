package api

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzDecodeAMSilence: the decoder of POST /api/v2/silences never panics
// and refuses only with CodeInvalid; a silence it accepts and that is
// valid shows (GET) and posts back unchanged (decode→view→decode is
// stable).
func FuzzDecodeAMSilence(f *testing.F) {
	for _, s := range []string{
		`{"matchers":[{"name":"alertname","value":"DiskFull","isRegex":false}],"startsAt":"2026-04-01T09:00:00Z","endsAt":"2026-04-01T10:00:00Z","createdBy":"a","comment":"c"}`,
		`{"id":"3f0c1b9e-2d4a-4c8e-9f00-0123456789ab","matchers":[{"name":"env","value":"dev|test","isRegex":true,"isEqual":false},{"name":"job","value":"x"}],"endsAt":"2026-04-01T10:00:00.123456789+02:00"}`,
		`{"matchers":[{"name":"a","value":"(","isRegex":true}],"endsAt":"2026-04-01T10:00:00Z","annotations":{"k":"v"},"expireOnResolve":true}`,
		`{"matchers":[],"endsAt":"x"}`, `[]`, `{`, `null`, `{"matchers":[{"name":"\ud800","value":"\u0000"}],"endsAt":"2026-04-01T10:00:00Z"}`,
		`{"matchers":{"name":"a"},"endsAt":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s, id, err := DecodeAMSilence(body)
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid {
				t.Fatalf("refused with %q: %v", vigil.ErrorCode(err), err)
			}
			return
		}
		if len(s.Matchers) == 0 || s.EndsAt.IsZero() {
			t.Fatalf("accepted a silence without matchers or end: %+v", s)
		}
		if s.CreatedBy == "" {
			s.CreatedBy = "fuzz"
		}
		if s.StartsAt.IsZero() {
			s.StartsAt = s.EndsAt.Add(-time.Hour)
		}
		if s.Validate() != nil {
			return
		}
		s.UUID = "3f0c1b9e-2d4a-4c8e-9f00-0123456789ab"
		v := amSilenceView(s)
		post := AMPostableSilence{ID: id, Matchers: v.Matchers, StartsAt: v.StartsAt.Format(time.RFC3339Nano),
			EndsAt: v.EndsAt.Format(time.RFC3339Nano), CreatedBy: v.CreatedBy, Comment: v.Comment, Annotations: v.Annotations,
			ExpireOnResolve: v.ExpireOnResolve}
		b, err := json.Marshal(post)
		if err != nil {
			t.Fatal(err)
		}
		again, id2, err := DecodeAMSilence(b)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", b, err)
		}
		if len(again.Annotations) == 0 {
			again.Annotations = nil
		}
		if len(s.Annotations) == 0 {
			s.Annotations = nil
		}
		s.UUID = ""
		if id2 != id {
			t.Fatalf("id %q became %q", id, id2)
		}
		if d := cmp.Diff(s, again); d != "" {
			t.Fatalf("decode→view→decode changed the silence (-first +second):\n%s", d)
		}
	})
}
