package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Pruning deletes exactly the records processed before the cutoff, in as
// many batches as it takes, and says how many; prunes running at once (as
// on several replicas) delete each record once; a second prune finds
// nothing.
func testIngestRequestPrune(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "opsgenie")
	must(t, err)
	record := func(prefix string, n int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n { // concurrently, so the group commit batches them
			wg.Go(func() {
				errs[i] = e.st.RecordIngestRequest(e.ictx, &vigil.IngestRequest{ID: fmt.Sprintf("%s-%d", prefix, i),
					IntegrationKeyID: k.ID, Action: "Create", Success: true, Status: "Created alert"})
			})
		}
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
	}
	const old = 1100 // more than one prune batch
	record("old", old)
	e.clock.Advance(time.Hour)
	cutoff := e.clock.Now()
	record("new", 5) // processed exactly at the cutoff: kept
	e.clock.Advance(time.Hour)

	var (
		wg     sync.WaitGroup
		counts [3]int64
		errs   [3]error
	)
	for i := range counts {
		wg.Go(func() { counts[i], errs[i] = e.st.PruneIngestRequests(e.ctx, cutoff) })
	}
	wg.Wait()
	var sum int64
	for i := range counts {
		must(t, errs[i])
		sum += counts[i]
	}
	if sum != old {
		t.Errorf("prunes deleted %v = %d records, want %d", counts, sum, old)
	}
	for _, id := range []string{"old-0", "old-999", fmt.Sprintf("old-%d", old-1)} {
		_, err := e.st.FindIngestRequest(e.ctx, id, k.ID)
		wantCode(t, err, vigil.CodeNotFound)
	}
	for i := range 5 {
		if _, err := e.st.FindIngestRequest(e.ctx, fmt.Sprintf("new-%d", i), k.ID); err != nil {
			t.Errorf("a record at the cutoff was pruned: %v", err)
		}
	}
	n, err := e.st.PruneIngestRequests(e.ctx, cutoff)
	if err != nil || n != 0 {
		t.Errorf("second prune: %d, %v; want 0", n, err)
	}
	n, err = e.st.PruneIngestRequests(e.ctx, e.clock.Now())
	if err != nil || n != 5 {
		t.Errorf("prune of the rest: %d, %v; want 5", n, err)
	}
}
