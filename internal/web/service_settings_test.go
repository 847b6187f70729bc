package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// The storm limit, flap control and auto-pause: set in the "New service"
// form, changed and turned off on the service page, bad values shown next
// to their input.
func TestServiceNoiseSettings(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rec := h.post("/services", url.Values{"name": {"web"}, "grouping.mode": {"none"},
		"grouping.storm.incidents": {"50"}, "grouping.storm.window": {"5m"}, "flap.changes": {"6"}, "auto_pause": {"5m"}})
	wantStatus(t, rec, http.StatusSeeOther)
	ss, _, err := h.db.FindServices(ctx, vigil.ServiceFilter{})
	if err != nil || len(ss) != 1 {
		t.Fatalf("FindServices: %v %d", err, len(ss))
	}
	s := ss[0]
	if st := s.Grouping.Storm; st == nil || st.Incidents != 50 || st.Window != vigil.Duration(5*time.Minute) ||
		s.Flap == nil || *s.Flap != (vigil.FlapSettings{Changes: 6, Window: vigil.DefaultFlap.Window, Quiet: vigil.DefaultFlap.Quiet}) ||
		s.AutoPause != vigil.Duration(5*time.Minute) {
		t.Fatalf("created %+v (storm %+v, flap %+v)", s, s.Grouping.Storm, s.Flap)
	}
	page := fmt.Sprintf("/services/%d", s.ID)
	body := h.get(page).Body.String()
	for _, want := range []string{`name="grouping.storm.incidents" value="50"`, `name="flap.changes" value="6"`, `name="auto_pause" value="5m"`} {
		if !strings.Contains(body, want) {
			t.Errorf("service page lacks %s", want)
		}
	}

	// 0 turns each off; the grouping stays.
	rec = h.post(page+"/settings", url.Values{"grouping.storm.incidents": {"0"}, "flap.changes": {"0"}, "auto_pause": {"0"}})
	wantRedirect(t, rec, page+"#settings")
	got, err := h.db.FindServiceByID(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Grouping.Mode != vigil.GroupNone || got.Grouping.Storm == nil || got.Grouping.Storm.Incidents != 0 ||
		got.Flap == nil || got.Flap.Changes != 0 || got.AutoPause != 0 {
		t.Errorf("turned off: %+v (storm %+v, flap %+v)", got, got.Grouping.Storm, got.Flap)
	}
	// Empty storm fields go back to the default limit.
	wantRedirect(t, h.post(page+"/settings", url.Values{"auto_pause": {"10m"}}), page+"#settings")
	if got, _ := h.db.FindServiceByID(ctx, s.ID); got.Grouping.Storm != nil || got.AutoPause != vigil.Duration(10*time.Minute) {
		t.Errorf("defaults again: %+v", got)
	}

	for _, c := range []struct {
		form url.Values
		id   string
	}{
		{url.Values{"auto_pause": {"10s"}}, "triage-pause"},
		{url.Values{"auto_pause": {"soon"}}, "triage-pause"},
		{url.Values{"flap.changes": {"many"}}, "triage-flap"},
		{url.Values{"flap.changes": {"3"}, "flap.quiet": {"2s"}}, "triage-flap-quiet"},
		{url.Values{"grouping.storm.incidents": {"5"}, "grouping.storm.window": {"1s"}}, "triage-storm-window"},
	} {
		rec := h.post(page+"/settings", c.form)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if !errorNextTo(rec.Body.String(), c.id) {
			t.Errorf("%v: error not next to %s:\n%s", c.form, c.id, excerpt(rec.Body.String()))
		}
	}
	rec = h.post("/services", url.Values{"name": {"x"}, "auto_pause": {"25h"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !errorNextTo(rec.Body.String(), "triage-pause") {
		t.Errorf("create: error not next to the auto-pause:\n%s", excerpt(rec.Body.String()))
	}
	wantStatus(t, h.post("/services/424242/settings", url.Values{"auto_pause": {"5m"}}), http.StatusNotFound)
}
