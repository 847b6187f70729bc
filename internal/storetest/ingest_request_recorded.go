package storetest

import (
	"sync"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// testProcessEventsRecorded: the events and the record made from their
// results commit together; a record that cannot be stored (its id taken)
// fails its request whole, leaving no alert behind, and fails it alone
// when it shares a batch with others.
func testProcessEventsRecorded(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("ops", nil)
	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "opsgenie")
	must(t, err)
	record := func(id string) func([]vigil.EventResult) *vigil.IngestRequest {
		return func(res []vigil.EventResult) *vigil.IngestRequest {
			status := "Created alert"
			if !res[0].AlertNew {
				status = "Alert deduplicated"
			}
			alertID := res[0].AlertID
			return &vigil.IngestRequest{ID: id, IntegrationKeyID: k.ID, Action: "Create", Success: true, Status: status, AlertID: &alertID, Alias: "disk"}
		}
	}
	res, err := e.st.ProcessEventsRecorded(e.ictx, []*vigil.Event{trigger(s.ID, "disk", "disk full", vigil.SeverityError)}, record("req-1"))
	must(t, err)
	got, err := e.st.FindIngestRequest(e.ctx, "req-1", k.ID)
	must(t, err)
	if got.Status != "Created alert" || got.AlertID == nil || *got.AlertID != res[0].AlertID || !got.ProcessedAt.Equal(t0) {
		t.Errorf("record = %+v, want the new alert %d", got, res[0].AlertID)
	}
	res2, err := e.st.ProcessEventsRecorded(e.ictx, []*vigil.Event{trigger(s.ID, "disk", "disk full", vigil.SeverityError)}, record("req-2"))
	must(t, err)
	if got, _ := e.st.FindIngestRequest(e.ctx, "req-2", k.ID); got == nil || got.Status != "Alert deduplicated" || *got.AlertID != res2[0].AlertID {
		t.Errorf("repeat record = %+v", got)
	}

	// The id is taken: nothing of the request is stored.
	_, err = e.st.ProcessEventsRecorded(e.ictx, []*vigil.Event{trigger(s.ID, "cpu", "cpu hot", vigil.SeverityError)}, record("req-1"))
	if vigil.ErrorCode(err) != vigil.CodeConflict {
		t.Fatalf("taken id: %v, want conflict", err)
	}
	key := "cpu"
	if alerts, _, _ := e.st.FindAlerts(e.ctx, vigil.AlertFilter{DedupKey: &key}); len(alerts) != 0 {
		t.Errorf("the alert of a request whose record failed was stored: %+v", alerts[0])
	}

	// Concurrent requests share batches; the one with a taken id fails alone.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "batch-" + string(rune('a'+i))
			if i == 7 {
				id = "req-2"
			}
			_, errs[i] = e.st.ProcessEventsRecorded(e.ictx, []*vigil.Event{trigger(s.ID, "k-"+string(rune('a'+i)), "x", vigil.SeverityError)}, record(id))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i == 7 {
			if vigil.ErrorCode(err) != vigil.CodeConflict {
				t.Errorf("request 7 (taken id): %v, want conflict", err)
			}
		} else if err != nil {
			t.Errorf("request %d failed with its neighbour: %v", i, err)
		}
	}
	if _, err := e.st.ProcessEventsRecorded(e.ictx, nil, record("x")); vigil.ErrorCode(err) != vigil.CodeInvalid {
		t.Errorf("no events: %v, want invalid", err)
	}
}
