package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// An incident page shows its service's change events of the hour before
// the incident and not older ones (nor other services'); the service page
// shows its latest changes. Everything is escaped; only http(s) links are
// rendered.
func TestRecentChanges(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.service("checkout")
	other := h.service("search")
	now := h.clock.Now()
	change := func(svc *vigil.Service, summary string, at time.Time, links ...vigil.Link) {
		t.Helper()
		c := &vigil.ChangeEvent{ServiceID: svc.ID, Summary: summary, Source: "ci<b>.example", Timestamp: at, Links: links}
		if err := h.db.CreateChangeEvent(ctx, c); err != nil {
			t.Fatalf("CreateChangeEvent: %v", err)
		}
	}
	change(s, `deploy <script>alert(1)</script> v2`, now.Add(-20*time.Minute), vigil.Link{Href: "https://ci.example/b/7", Text: "build 7"})
	change(s, "ancient deploy v1", now.Add(-90*time.Minute))
	change(other, "search deploy", now.Add(-10*time.Minute))

	inc := h.trigger(s, vigil.Event{Action: vigil.ActionTrigger, DedupKey: "cpu", Summary: "CPU high", Severity: vigil.SeverityError})
	rec := h.get("/incidents/" + strconv.FormatInt(inc.ID, 10))
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	section := body[strings.Index(body, `id="recent-changes"`):]
	section = section[:strings.Index(section, "</section>")]
	if !strings.Contains(section, "deploy &lt;script&gt;alert(1)&lt;/script&gt; v2") {
		t.Errorf("escaped change summary missing from the incident page: %s", excerpt(section))
	}
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "ci<b>.example") {
		t.Error("change event text is not escaped")
	}
	if !strings.Contains(section, `href="https://ci.example/b/7"`) || !strings.Contains(section, "ci&lt;b&gt;.example") {
		t.Errorf("link or source missing: %s", excerpt(section))
	}
	if strings.Contains(section, "ancient deploy") {
		t.Error("a change older than an hour before the incident is shown")
	}
	if strings.Contains(section, "search deploy") {
		t.Error("another service's change is shown")
	}

	rec = h.get("/services/" + strconv.FormatInt(s.ID, 10))
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	section = body[strings.Index(body, `id="recent-changes"`):]
	section = section[:strings.Index(section, "</section>")]
	first, second := strings.Index(section, "deploy &lt;script&gt;"), strings.Index(section, "ancient deploy v1")
	if first < 0 || second < 0 || first > second {
		t.Errorf("service page changes (newest first) missing: %s", excerpt(section))
	}
	if strings.Contains(section, "search deploy") || strings.Contains(body, "<script>alert(1)") {
		t.Error("service page shows another service's change or unescaped text")
	}
}

// Stored links that are not http(s) are never rendered (the store refuses
// them; the page checks again).
func TestRecentChangesUnsafeLinks(t *testing.T) {
	h := newHarness(t)
	s := h.service("checkout")
	h.use(changeStore{Store: h.db, list: []*vigil.ChangeEvent{{ID: 1, ServiceID: s.ID, Summary: "deploy", Timestamp: h.clock.Now(),
		Links: []vigil.Link{{Href: "javascript:alert(1)", Text: "evil"}, {Href: "https://ok.example/", Text: "fine"}}}}})
	body := h.get("/services/" + strconv.FormatInt(s.ID, 10)).Body.String()
	if strings.Contains(body, "javascript:") || strings.Contains(body, ">evil<") || !strings.Contains(body, `href="https://ok.example/"`) {
		t.Errorf("links: %s", excerpt(body[strings.Index(body, `id="recent-changes"`):]))
	}
}

type changeStore struct {
	vigil.Store
	list []*vigil.ChangeEvent
}

func (s changeStore) FindChangeEvents(context.Context, vigil.ChangeEventFilter) ([]*vigil.ChangeEvent, error) {
	return s.list, nil
}
