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
	}{{"native", 1}, {"native", 20}, {"alertmanager", 5}, {"prometheus", 1}, {"prometheus", 20}, {"pagerduty", 1}, {"opsgenie", 1}} {
		t.Run(c.format, func(t *testing.T) {
			o := options{format: c.format, concurrency: 2, batch: c.batch, duration: 300 * time.Millisecond, baseline: true}
			if err := run(context.Background(), o); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := run(context.Background(), options{format: "pagerduty", concurrency: 1, batch: 5, duration: time.Millisecond}); err == nil {
		t.Error("a PagerDuty batch must be refused: it has none")
	}
}
