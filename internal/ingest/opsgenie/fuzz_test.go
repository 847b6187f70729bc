package opsgenie

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzDecodeCreate checks that the create decoder never panics, that an
// accepted event is valid, and that encoding the decoded request and
// decoding it again gives the same request (empty and absent lists alike)
// and event.
func FuzzDecodeCreate(f *testing.F) {
	for _, s := range []string{create,
		`{"message":"m"}`, `{"message":"m","alias":"a","priority":"P5","tags":["x","","x"]}`,
		`{"message":"m","details":{"k":"<&>"},"actions":[1.5e300,{"a":null}],"visibleTo":[]}`,
		`{}`, `[`, `null`, `{"message":"\ud800"}`, `{"message":"m","priority":null,"tags":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, e, err := DecodeCreate(body)
		if err != nil {
			if c != nil || e != nil {
				t.Fatal("an error with a result")
			}
			return
		}
		if e.DedupKey == "" {
			t.Fatal("no dedup key")
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("accepted an invalid event: %v", err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c); err != nil {
			t.Fatalf("encode: %v", err)
		}
		c2, e2, err := DecodeCreate(buf.Bytes())
		if err != nil {
			t.Fatalf("re-decode of %s: %v", buf.Bytes(), err)
		}
		if d := cmp.Diff(c, c2, cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("decode→encode→decode changed the request (-first +second):\n%s", d)
		}
		if d := cmp.Diff(e, e2); d != "" {
			t.Fatalf("decode→encode→decode changed the event (-first +second):\n%s", d)
		}
	})
}
