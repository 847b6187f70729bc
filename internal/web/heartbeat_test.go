package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The service page lists its heartbeats with their state and last ping,
// escaped; not another service's.
func TestServiceHeartbeats(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.service("checkout")
	other := h.service("search")
	section := func() string {
		t.Helper()
		rec := h.get("/services/" + strconv.FormatInt(s.ID, 10))
		wantStatus(t, rec, http.StatusOK)
		body := rec.Body.String()
		i := strings.Index(body, `id="heartbeats"`)
		if i < 0 {
			t.Fatalf("no heartbeats section: %s", excerpt(body))
		}
		sec := body[i:]
		return sec[:strings.Index(sec, "</section>")]
	}
	if sec := section(); !strings.Contains(sec, "No heartbeats yet") {
		t.Errorf("empty section: %s", excerpt(sec))
	}

	create := func(svc *vigil.Service, name string, enabled bool) *vigil.Heartbeat {
		t.Helper()
		hb := &vigil.Heartbeat{ServiceID: svc.ID, Name: name, Description: "runs <b>nightly</b>", Interval: 10,
			IntervalUnit: vigil.IntervalMinutes, Enabled: enabled}
		if err := h.db.CreateHeartbeat(ctx, hb); err != nil {
			t.Fatal(err)
		}
		return hb
	}
	pinged := create(s, "backup<script>", true)
	create(s, "etl", true)
	create(s, "paused", false)
	create(other, "search-indexer", true)
	h.clock.Advance(5 * time.Minute)
	if _, err := h.db.PingHeartbeat(ctx, pinged.ID); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(6 * time.Minute)                                // etl is 11 minutes without a ping
	if n, err := h.db.ExpireHeartbeats(ctx); err != nil || n != 2 { // etl and the other service's
		t.Fatalf("ExpireHeartbeats = %d, %v", n, err)
	}

	sec := section()
	for _, want := range []string{
		"backup&lt;script&gt;", "runs &lt;b&gt;nightly&lt;/b&gt;", `<span class="badge st-active">ok</span>`, "6m ago",
		"etl", `<span class="badge st-firing">expired</span>`, "expired <time",
		"paused", `<span class="badge st-revoked">disabled</span>`, "never (disabled)",
		"<td>10m</td>",
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("section lacks %q: %s", want, excerpt(sec))
		}
	}
	if strings.Contains(sec, "search-indexer") || strings.Contains(sec, "<script>") || strings.Contains(sec, "<b>nightly") {
		t.Errorf("another service's heartbeat or unescaped text: %s", excerpt(sec))
	}
}
