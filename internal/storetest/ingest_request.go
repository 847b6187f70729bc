package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Ingest requests: recorded with the store's now (microseconds kept), found
// only by the key that made them; unknown ids are not found; ids are unique.
func testIngestRequests(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	k1, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "opsgenie")
	must(t, err)
	k2, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "other")
	must(t, err)
	r := e.send1(trigger(s.ID, "disk", "disk full", vigil.SeverityWarning))

	e.clock.Advance(90*time.Minute + 7*time.Microsecond)
	at := e.clock.Now().UTC().Truncate(time.Microsecond)
	rec := &vigil.IngestRequest{ID: "0b6f6c55-2f54-4c38-9f5c-6a1b1f0e6f01", IntegrationKeyID: k1.ID, Action: "Create",
		Success: true, Status: "Created alert", AlertID: &r.AlertID, Alias: "disk"}
	must(t, e.st.RecordIngestRequest(e.ictx, rec))
	if !rec.ProcessedAt.Equal(at) {
		t.Fatalf("ProcessedAt = %v, want %v", rec.ProcessedAt, at)
	}
	got, err := e.st.FindIngestRequest(e.ctx, rec.ID, k1.ID)
	must(t, err)
	if diff := cmp.Diff(rec, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if got.ProcessedAt.Location() != time.UTC || got.ProcessedAt.Nanosecond() != at.Nanosecond() {
		t.Errorf("ProcessedAt = %v, want %v in UTC", got.ProcessedAt, at)
	}

	// A failure without an alert keeps a nil alert id.
	fail := &vigil.IngestRequest{ID: "fail-1", IntegrationKeyID: k1.ID, Action: "Close", Status: "Alert does not exist", Alias: "nope"}
	must(t, e.st.RecordIngestRequest(e.ictx, fail))
	got, err = e.st.FindIngestRequest(e.ctx, "fail-1", k1.ID)
	must(t, err)
	if got.Success || got.AlertID != nil || got.Status != "Alert does not exist" || got.Action != "Close" {
		t.Errorf("failure record = %+v", got)
	}

	_, err = e.st.FindIngestRequest(e.ctx, rec.ID, k2.ID)
	wantCode(t, err, vigil.CodeNotFound)
	_, err = e.st.FindIngestRequest(e.ctx, "no-such-request", k1.ID)
	wantCode(t, err, vigil.CodeNotFound)

	dup := *rec
	wantCode(t, e.st.RecordIngestRequest(e.ictx, &dup), vigil.CodeConflict)
	wantCode(t, e.st.RecordIngestRequest(e.ictx, &vigil.IngestRequest{IntegrationKeyID: k1.ID, Action: "Create"}), vigil.CodeInvalid, "id")
	wantCode(t, e.st.RecordIngestRequest(e.ictx, &vigil.IngestRequest{ID: "x", IntegrationKeyID: k1.ID, Action: "Create", Status: "a\x00b"}),
		vigil.CodeInvalid, "status")
}
