package server

import "testing"

// GET /metrics counts every incident: it needs the read permission, so
// stakeholders and tokens without the read scope (an ingest token of a
// sender) are refused, and every caller who reads everything may scrape.
func TestMetricsNeedRead(t *testing.T) {
	f := newMatrixFixture(t)
	for _, caller := range matrixCallers {
		headers := map[string]string{"Authorization": ""}
		if caller != "anonymous" {
			headers["Authorization"] = "Bearer " + f.tokens[caller]
		}
		res := f.e.do("GET", "/metrics", nil, headers)
		check(t, needRead, caller, "GET /metrics", res)
	}
}
