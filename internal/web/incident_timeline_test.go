package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// timelineStore serves a made-up timeline for every incident.
type timelineStore struct {
	vigil.Store
	entries []*vigil.TimelineEntry
}

func (s timelineStore) FindTimeline(context.Context, int64) ([]*vigil.TimelineEntry, error) {
	return s.entries, nil
}

// TestLongTimelineIsBounded (E11): an incident of 5,000 alerts has an
// "alert joined" entry for each. The page shows the first and last alert
// entries, says how many it left out, and keeps every other entry (the
// acknowledgement in the middle, the note at the end).
func TestLongTimelineIsBounded(t *testing.T) {
	h := newHarness(t)
	inc := h.trigger(h.service("checkout"), vigil.Event{Summary: "huge", Severity: vigil.SeverityCritical})
	at := h.clock.Now()
	var entries []*vigil.TimelineEntry
	add := func(kind, msg string) {
		entries = append(entries, &vigil.TimelineEntry{ID: int64(len(entries) + 1), IncidentID: inc.ID, At: at, Kind: kind,
			Actor: "system", ActorKind: vigil.ActorSystem, Source: vigil.SourceSystem, Message: msg})
		at = at.Add(time.Millisecond)
	}
	add(vigil.EntryCreated, "Incident opened")
	for i := range 5000 {
		if i == 2500 {
			add(vigil.EntryAcknowledged, "Acknowledged by Ana")
		}
		add(vigil.EntryAlertJoined, fmt.Sprintf("Alert %q joined (critical): replica %d", fmt.Sprintf("a-%04d", i), i))
	}
	add(vigil.EntryNote, "rolled back")
	h.use(timelineStore{Store: h.db, entries: entries})

	rec := h.get(fmt.Sprintf("/incidents/%d", inc.ID))
	wantStatus(t, rec, http.StatusOK)
	page := rec.Body.String()
	if n := strings.Count(page, `<li class="entry kind-alert_joined"`); n != 100 {
		t.Errorf("%d alert entries shown, want the first and last 50", n)
	}
	for _, want := range []string{"a-0000", "a-0049", "a-4950", "a-4999", "Acknowledged by Ana", "rolled back", "Incident opened",
		"… 2450 more entries not shown", fmt.Sprintf("GET /api/v1/incidents/%d/timeline", inc.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, hidden := range []string{"a-0050", "a-2499", "a-2500", "a-4949"} {
		if strings.Contains(page, hidden) {
			t.Errorf("page shows %q", hidden)
		}
	}
	// Two gaps: before and after the acknowledgement.
	if n := strings.Count(page, `<li class="gap muted">`); n != 2 {
		t.Errorf("%d gaps, want 2", n)
	}
	if len(page) > 200<<10 {
		t.Errorf("page is %d bytes", len(page))
	}

	// Whatever the kinds, at most 500 entries are shown.
	entries = entries[:0]
	for i := range 3000 {
		add(vigil.EntryNote, fmt.Sprintf("note n-%04d", i))
	}
	h.use(timelineStore{Store: h.db, entries: entries})
	page = h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()
	if n := strings.Count(page, `<li class="entry kind-note"`); n != 500 {
		t.Errorf("%d notes shown, want 500", n)
	}
	if !strings.Contains(page, "n-0249") || strings.Contains(page, "n-0250") || strings.Contains(page, "n-2749") ||
		!strings.Contains(page, "n-2750") || !strings.Contains(page, "… 2500 more entries not shown") {
		t.Error("want the first and last 250 notes and one gap")
	}

	// A short timeline is shown whole, without a gap.
	h.use(timelineStore{Store: h.db, entries: entries[:3]})
	page = h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()
	if strings.Count(page, `<li class="entry kind-note"`) != 3 || strings.Contains(page, "not shown") {
		t.Error("a short timeline was cut")
	}
}
