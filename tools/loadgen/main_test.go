package main

import (
	"context"
	"testing"
	"time"
)

// Each format's load reaches its endpoint and every request succeeds (run
// fails when any request does), so the tool cannot drift from the server.
func TestEveryFormatAgainstInProcessVigil(t *testing.T) {
	for _, c := range []struct {
		format string
		batch  int
		random bool
	}{{"native", 1, false}, {"native", 20, true}, {"alertmanager", 5, false}, {"alertmanager", 5, true}, {"prometheus", 1, false},
		{"prometheus", 20, false}, {"pagerduty", 1, true}, {"opsgenie", 1, true}} {
		t.Run(c.format, func(t *testing.T) {
			o := options{format: c.format, concurrency: 2, batch: c.batch, duration: 300 * time.Millisecond, baseline: true, randomKeys: c.random}
			if err := run(context.Background(), o); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := run(context.Background(), options{format: "pagerduty", concurrency: 1, batch: 5, duration: time.Millisecond}); err == nil {
		t.Error("a PagerDuty batch must be refused: it has none")
	}
}

// Random keys are distinct for distinct ids (otherwise the load would
// dedup into few alerts and flatter the store) and do not sort by id.
func TestRandomKeysAreDistinctAndScattered(t *testing.T) {
	o := options{randomKeys: true}
	seen := map[string]bool{}
	ascending := 0
	prev := ""
	for id := int64(1); id <= 10000; id++ {
		k := o.dedupKey(id)
		if seen[k] {
			t.Fatalf("key %q repeats at id %d", k, id)
		}
		seen[k] = true
		if k > prev {
			ascending++
		}
		prev = k
	}
	if ascending > 6000 || ascending < 4000 {
		t.Errorf("%d of 10000 random keys sort after their predecessor; want about half", ascending)
	}
	seq := options{}
	if a, b := seq.dedupKey(9), seq.dedupKey(10); a >= b {
		t.Errorf("sequential keys out of order: %q >= %q", a, b)
	}
}
