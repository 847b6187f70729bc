package server

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// changeAt stores a change event of service at t.
func (e *env) changeAt(serviceID int64, summary string, at time.Time) *vigil.ChangeEvent {
	e.t.Helper()
	c := &vigil.ChangeEvent{ServiceID: serviceID, Summary: summary, Source: "ci", Timestamp: at}
	if err := e.store.CreateChangeEvent(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) changeList(path string) api.List[vigil.ChangeEvent] {
	e.t.Helper()
	var l api.List[vigil.ChangeEvent]
	e.call("GET", path, "").want(e.t, 200).json(e.t, &l)
	return l
}

func summaries(l api.List[vigil.ChangeEvent]) string {
	var s []string
	for _, c := range l.Items {
		s = append(s, c.Summary)
	}
	return strings.Join(s, ",")
}

// The change events of all services, of one, and of an incident's hour
// before it opened; filtered by time, paged, in the list envelope.
func TestChangeEventListing(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			pg := ""
			if db == "postgres" {
				pg = migratedPostgresURL(t) // skips when PostgreSQL is not configured
			}
			e := newEnvOn(t, pg)
			other := &vigil.Service{Name: "web", AutoResolve: true}
			if err := e.store.CreateService(context.Background(), other); err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			e.changeAt(e.service.ID, "deploy-3h", now.Add(-3*time.Hour))
			e.changeAt(e.service.ID, "deploy-30m", now.Add(-30*time.Minute))
			e.changeAt(other.ID, "web-deploy-20m", now.Add(-20*time.Minute))
			e.changeAt(e.service.ID, "config-10m", now.Add(-10*time.Minute))
			e.changeAt(e.service.ID, "skew+30s", now.Add(30*time.Second))
			e.changeAt(e.service.ID, "later+5m", now.Add(5*time.Minute))

			all := e.changeList("/api/v1/changes")
			if summaries(all) != "later+5m,skew+30s,config-10m,web-deploy-20m,deploy-30m,deploy-3h" ||
				all.Total != 6 || all.Offset != 0 || all.Limit != vigil.DefaultPageSize {
				t.Errorf("all: %s total %d offset %d limit %d", summaries(all), all.Total, all.Offset, all.Limit)
			}
			if c := all.Items[2]; c.ServiceID != e.service.ID || c.Source != "ci" || !c.Timestamp.Equal(now.Add(-10*time.Minute)) {
				t.Errorf("item %+v", c)
			}
			page := e.changeList("/api/v1/changes?service_id={svc}&offset=1&limit=2")
			if summaries(page) != "skew+30s,config-10m" || page.Total != 5 || page.Offset != 1 || page.Limit != 2 {
				t.Errorf("page: %s total %d", summaries(page), page.Total)
			}
			q := url.Values{"since": {now.Add(-time.Hour).Format(time.RFC3339)}, "until": {now.Format(time.RFC3339Nano)}}
			window := e.changeList("/api/v1/changes?" + q.Encode())
			if summaries(window) != "config-10m,web-deploy-20m,deploy-30m" || window.Total != 3 {
				t.Errorf("[since, until): %s total %d", summaries(window), window.Total)
			}
			svc := e.changeList("/api/v1/services/" + itoa(other.ID) + "/changes")
			if summaries(svc) != "web-deploy-20m" || svc.Total != 1 {
				t.Errorf("service web: %s", summaries(svc))
			}
			svc = e.changeList("/api/v1/services/{svc}/changes?" + url.Values{"since": {now.Add(-15 * time.Minute).Format(time.RFC3339)}}.Encode())
			if summaries(svc) != "later+5m,skew+30s,config-10m" || svc.Total != 3 {
				t.Errorf("service checkout since 15m: %s", summaries(svc))
			}

			// An incident opened now: its service's changes from an hour
			// before to a minute after, not the other service's.
			r := eventResult(t, e.ingest(`{"summary":"checkout down","dedup_key":"down"}`))
			inc := e.changeList("/api/v1/incidents/" + itoa(r.IncidentID) + "/changes")
			if summaries(inc) != "skew+30s,config-10m,deploy-30m" || inc.Total != 3 {
				t.Errorf("incident changes: %s total %d", summaries(inc), inc.Total)
			}
			inc = e.changeList("/api/v1/incidents/" + itoa(r.IncidentID) + "/changes?limit=1&offset=2")
			if summaries(inc) != "deploy-30m" || inc.Total != 3 || inc.Limit != 1 {
				t.Errorf("incident changes page: %s total %d", summaries(inc), inc.Total)
			}

			for _, c := range []struct {
				path, field string
				status      int
			}{
				{"/api/v1/changes?since=yesterday", "since", 400},
				{"/api/v1/changes?until=2026-13-01T00:00:00Z", "until", 400},
				{"/api/v1/changes?service_id=x", "service_id", 400},
				{"/api/v1/changes?limit=-1", "limit", 400},
				{"/api/v1/services/0/changes", "id", 400},
				{"/api/v1/services/{svc}/changes?offset=abc", "offset", 400},
				{"/api/v1/incidents/abc/changes", "id", 400},
				{"/api/v1/incidents/" + itoa(r.IncidentID) + "/changes?limit=x", "limit", 400},
				{"/api/v1/services/999999/changes", "", 404},
				{"/api/v1/incidents/999999/changes", "", 404},
			} {
				var body api.ErrorResponse
				e.call("GET", c.path, "").want(t, c.status).json(t, &body)
				if body.Error.Field != c.field {
					t.Errorf("%s: error %+v, want field %q", c.path, body.Error, c.field)
				}
			}
			e.do("GET", "/api/v1/changes", nil, map[string]string{"Authorization": ""}).want(t, 401)
		})
	}
}
