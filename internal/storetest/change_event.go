package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Change events: stored with the store's now as received time (and as
// timestamp when none is given), microseconds kept; listed newest first by
// timestamp, per service, within [Since, Until), up to Limit; invalid ones
// refused by field; an unknown service is not found; deleting the service
// deletes them.
func testChangeEvents(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	s := e.service("api", nil)
	other := e.service("web", nil)
	k, err := e.st.CreateIntegrationKey(e.ctx, s.ID, "deploys")
	must(t, err)

	e.clock.Advance(time.Hour + 3*time.Microsecond)
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	past := now.Add(-30*time.Minute + 11*time.Microsecond)
	c1 := &vigil.ChangeEvent{ServiceID: s.ID, IntegrationKeyID: &k.ID, Summary: "deploy v1.2.3", Source: "ci.example",
		Timestamp: past, Details: json.RawMessage(`{"build":42,"by":"alice"}`),
		Links: []vigil.Link{{Href: "https://ci.example/builds/42", Text: "build"}}}
	must(t, e.st.CreateChangeEvent(e.ictx, c1))
	if c1.ID == 0 || !c1.ReceivedAt.Equal(now) || !c1.Timestamp.Equal(past) {
		t.Fatalf("created %+v, want received %v timestamp %v", c1, now, past)
	}
	c2 := &vigil.ChangeEvent{ServiceID: s.ID, Summary: "config push"}
	must(t, e.st.CreateChangeEvent(e.ictx, c2))
	if !c2.Timestamp.Equal(now) || !c2.ReceivedAt.Equal(now) || c2.IntegrationKeyID != nil {
		t.Fatalf("without timestamp: %+v, want %v", c2, now)
	}
	c3 := &vigil.ChangeEvent{ServiceID: s.ID, Summary: "old deploy", Timestamp: now.Add(-3 * time.Hour)}
	must(t, e.st.CreateChangeEvent(e.ictx, c3))
	must(t, e.st.CreateChangeEvent(e.ictx, &vigil.ChangeEvent{ServiceID: other.ID, Summary: "web deploy"}))

	got, err := e.st.FindChangeEvents(e.ctx, vigil.ChangeEventFilter{ServiceID: &s.ID})
	must(t, err)
	if len(got) != 3 || got[0].ID != c2.ID || got[1].ID != c1.ID || got[2].ID != c3.ID {
		t.Fatalf("list = %v, want c2, c1, c3", ids(got))
	}
	if diff := cmp.Diff(c1, got[1]); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if got[1].Timestamp.Location() != time.UTC || got[1].Timestamp.Nanosecond() != past.Nanosecond() {
		t.Errorf("Timestamp = %v, want %v in UTC", got[1].Timestamp, past)
	}
	if got[0].Links == nil || len(got[0].Links) != 0 || got[0].Details != nil {
		t.Errorf("empty links/details = %#v / %s", got[0].Links, got[0].Details)
	}

	since, until := now.Add(-time.Hour), now
	got, err = e.st.FindChangeEvents(e.ctx, vigil.ChangeEventFilter{ServiceID: &s.ID, Since: &since, Until: &until})
	must(t, err)
	if len(got) != 1 || got[0].ID != c1.ID {
		t.Errorf("window [since, until) = %v, want only c1", ids(got))
	}
	got, err = e.st.FindChangeEvents(e.ctx, vigil.ChangeEventFilter{ServiceID: &s.ID, Limit: 1})
	must(t, err)
	if len(got) != 1 || got[0].ID != c2.ID {
		t.Errorf("limit 1 = %v", ids(got))
	}
	got, err = e.st.FindChangeEvents(e.ctx, vigil.ChangeEventFilter{})
	must(t, err)
	if len(got) != 4 {
		t.Errorf("all = %v", ids(got))
	}

	for _, tc := range []struct {
		c     vigil.ChangeEvent
		field string
	}{
		{vigil.ChangeEvent{ServiceID: s.ID, Summary: "  "}, "summary"},
		{vigil.ChangeEvent{ServiceID: s.ID, Summary: strings.Repeat("a", vigil.MaxSummaryLen+1)}, "summary"},
		{vigil.ChangeEvent{ServiceID: s.ID, Summary: "a\x00b"}, "summary"},
		{vigil.ChangeEvent{ServiceID: s.ID, Summary: "s", Source: strings.Repeat("a", vigil.MaxSourceLen+1)}, "source"},
		{vigil.ChangeEvent{ServiceID: s.ID, Summary: "s", Links: []vigil.Link{{Href: "javascript:alert(1)"}}}, "links.href"},
		{vigil.ChangeEvent{ServiceID: s.ID, Summary: "s", Details: json.RawMessage(`[1]`)}, "details"},
		{vigil.ChangeEvent{Summary: "s"}, "service_id"},
	} {
		wantCode(t, e.st.CreateChangeEvent(e.ictx, &tc.c), vigil.CodeInvalid, tc.field)
	}
	wantCode(t, e.st.CreateChangeEvent(e.ictx, &vigil.ChangeEvent{ServiceID: 999999, Summary: "s"}), vigil.CodeNotFound)

	must(t, e.st.DeleteService(e.ctx, other.ID))
	got, err = e.st.FindChangeEvents(e.ctx, vigil.ChangeEventFilter{ServiceID: &other.ID})
	must(t, err)
	if len(got) != 0 {
		t.Errorf("change events of a deleted service: %v", ids(got))
	}
}

func ids(list []*vigil.ChangeEvent) []int64 {
	var out []int64
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}
