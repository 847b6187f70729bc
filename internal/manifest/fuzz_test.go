package manifest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzParseCheck feeds any document to Parse and Check: neither panics,
// and a document that checks reads back, once written, to the same
// canonical form (so an exported noise setting or manager survives).
func FuzzParseCheck(f *testing.F) {
	for _, seed := range []string{
		"services:\n  - {name: s, storm: {incidents: 50, window: 5m}, flap: {changes: 6, quiet: 30m}, auto_pause: 5m}\n",
		"services:\n  - {name: s, storm: {incidents: 0}, flap: {changes: 0}}\n",
		"teams:\n  - {name: t, members: [a@example.com], managers: [B@example.com]}\n",
		"services:\n  - {name: s, grouping: {mode: labels, labels: [job]}, auto_pause: 24h}\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		m, err := Parse(doc)
		if err != nil {
			return
		}
		c, err := m.Check()
		if err != nil {
			return
		}
		out, err := Format(c)
		if err != nil {
			return // a few characters do not survive the YAML writer; Format says so
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("the canonical document does not parse: %v\n%s", err, out)
		}
		again, err := back.Check()
		if err != nil {
			t.Fatalf("the canonical document does not check: %v\n%s", err, out)
		}
		if d := cmp.Diff(c, again, cmpopts.IgnoreUnexported(Manifest{}), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("canonical form changed on a second check (-first +second):\n%s", d)
		}
	})
}
