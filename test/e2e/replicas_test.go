package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/vigil-oss/vigil/internal/storetest"
)

// TestTwoReplicasOneAlert is catalog B2: 50 concurrent first posts of one
// new dedup key, split over two vigil processes on one PostgreSQL, create
// exactly one alert.
func TestTwoReplicasOneAlert(t *testing.T) {
	dbURL := storetest.NewPostgresURL(t)
	a := newProc(t, "--database-url", dbURL)
	a.start()
	b := newProc(t, "--database-url", dbURL)
	b.start()
	_, key := createServiceAndKey(t, a.url(), "replicas")

	ctx := context.Background()
	const posts = 50
	type answer struct {
		AlertID    int64 `json:"alert_id"`
		AlertNew   bool  `json:"alert_new"`
		IncidentID int64 `json:"incident_id"`
	}
	answers := make([]answer, posts)
	errs := make([]error, posts)
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := 0; i < posts; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			base := a.url()
			if i%2 == 1 {
				base = b.url()
			}
			start.Wait()
			_, errs[i] = apiCall(ctx, "POST", base+"/api/v1/events", key,
				map[string]any{"summary": "replica race", "dedup_key": "race-1", "severity": "critical"}, &answers[i])
		}()
	}
	start.Done()
	wg.Wait()
	news := 0
	for i, ans := range answers {
		if errs[i] != nil {
			t.Fatalf("post %d: %v", i, errs[i])
		}
		if ans.AlertID != answers[0].AlertID || ans.IncidentID != answers[0].IncidentID {
			t.Errorf("post %d touched alert %d incident %d, post 0 alert %d incident %d", i, ans.AlertID, ans.IncidentID, answers[0].AlertID, answers[0].IncidentID)
		}
		if ans.AlertNew {
			news++
		}
	}
	if news != 1 {
		t.Errorf("%d answers said the alert was new, want exactly 1", news)
	}
	var page struct {
		Items []struct {
			ID          int64 `json:"id"`
			Occurrences int64 `json:"occurrences"`
		} `json:"items"`
		Total int `json:"total"`
	}
	if _, err := apiCall(ctx, "GET", fmt.Sprintf("%s/api/v1/alerts?dedup_key=race-1", b.url()), adminToken, nil, &page); err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || len(page.Items) != 1 {
		t.Fatalf("want exactly one alert for the key, got total %d", page.Total)
	}
	if page.Items[0].Occurrences != posts {
		t.Errorf("occurrences %d, want %d", page.Items[0].Occurrences, posts)
	}
	var incidents struct{ Total int }
	if _, err := apiCall(ctx, "GET", a.url()+"/api/v1/incidents", adminToken, nil, &incidents); err != nil {
		t.Fatal(err)
	}
	if incidents.Total != 1 {
		t.Errorf("want one incident, got %d", incidents.Total)
	}
}
