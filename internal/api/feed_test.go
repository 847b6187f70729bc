package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// feedBase is the public URL the on-call test server is given.
const feedBase = "https://vigil.example"

// TestCalendarFeedAddresses: a feed's secret address works without a
// token, only for its own feed, and stops working for everyone once the
// addresses are rotated.
func TestCalendarFeedAddresses(t *testing.T) {
	e := newOCEnv(t)
	e.seed()
	address := func(path string) string {
		t.Helper()
		res := e.do("GET", path, "", true)
		var v struct{ URL string }
		if err := json.Unmarshal([]byte(res.body), &v); res.status != 200 || err != nil || !strings.HasPrefix(v.URL, feedBase+"/") {
			t.Fatalf("GET %s: %d %s", path, res.status, res.body)
		}
		return strings.TrimPrefix(v.URL, feedBase)
	}
	sched, ana, bob := address("/api/v1/schedules/{sched}/ical-url"), address("/api/v1/users/{ana}/ical-url"), address("/api/v1/users/{bob}/ical-url")
	if again := address("/api/v1/schedules/{sched}/ical-url"); again != sched {
		t.Errorf("the address changed between two asks: %s then %s", sched, again)
	}
	feed := func(path string, status int, want ...string) {
		t.Helper()
		res := e.do("GET", path, "", false)
		if res.status != status {
			t.Fatalf("GET %s without a token: %d, want %d: %.300s", path, res.status, status, res.body)
		}
		if status == 200 && !strings.HasPrefix(res.header.Get("Content-Type"), "text/calendar") {
			t.Errorf("GET %s: Content-Type %q", path, res.header.Get("Content-Type"))
		}
		for _, w := range want {
			if !strings.Contains(res.body, w) {
				t.Errorf("GET %s lacks %q: %.800s", path, w, res.body)
			}
		}
		if status != 200 && strings.Contains(res.body, "VEVENT") {
			t.Errorf("GET %s refused but showed events", path)
		}
	}
	feed(sched, 200, "X-WR-CALNAME:On call: Primary", "SUMMARY:On call: Ana (Primary)", "SUMMARY:On call: Bob (Primary)")
	feed(ana, 200, "X-WR-CALNAME:On call: Ana", "SUMMARY:On call: Ana (Primary)")
	feed(strings.TrimSuffix(bob, ".ics"), 200, "X-WR-CALNAME:On call: Bob")

	// Another feed's token, a changed token, the schedule's token on a
	// person's address and unknown ids are all "not found".
	anaID, bobID := e.vars["ana"], e.vars["bob"]
	tokenOf := func(addr string) string { return addr[strings.LastIndex(addr, "/")+1:] }
	for _, bad := range []string{
		strings.Replace(ana, "/user/"+anaID+"/", "/user/"+bobID+"/", 1),
		ana[:len(ana)-5] + flip(ana[len(ana)-5]) + ".ics",
		"/api/v1/feeds/user/" + e.vars["sched"] + "/" + tokenOf(sched),
		"/api/v1/feeds/user/9999/" + tokenOf(ana),
		"/api/v1/feeds/user/0" + anaID + "/" + tokenOf(ana),
		"/api/v1/feeds/user/" + anaID + "/",
		"/api/v1/feeds/user/" + anaID + "/" + strings.Repeat("A", 100),
	} {
		feed(bad, 404)
	}

	// Rotation revokes every address at once; new ones work.
	if res := e.do("POST", "/api/v1/ical-urls/rotate", "", true); res.status != 204 {
		t.Fatalf("rotate: %d %s", res.status, res.body)
	}
	feed(sched, 404)
	feed(ana, 404)
	fresh := address("/api/v1/users/{ana}/ical-url")
	if fresh == ana {
		t.Fatal("rotation kept the address")
	}
	feed(fresh, 200, "X-WR-CALNAME:On call: Ana")
}

// flip changes one base64url character into another.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
