package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// hostileLinks hands out alerts carrying links the ingest validation
// would have refused, as a database written by an older release or by
// hand might: the UI must filter them again.
type hostileLinks struct{ vigil.Store }

func (s hostileLinks) FindAlerts(ctx context.Context, f vigil.AlertFilter) ([]*vigil.Alert, int, error) {
	as, n, err := s.Store.FindAlerts(ctx, f)
	for _, a := range as {
		a.Links = append(a.Links,
			vigil.Link{Href: "javascript:window.__xss=1", Text: "js"},
			vigil.Link{Href: " JavaScript:window.__xss=1", Text: "js2"},
			vigil.Link{Href: "data:text/html,<script>window.__xss=1</script>", Text: "data"},
			vigil.Link{Href: "vbscript:msgbox", Text: "vb"},
			vigil.Link{Href: "//evil.example/x", Text: "relative"},
		)
	}
	return as, n, err
}

// TestAlertTextEscaped (catalog H4): on the incident list, the incident
// page (alerts, labels, links, timeline notes, status updates) and a
// service's incident list, markup in alert data is escaped, and only http and https
// links become links.
func TestAlertTextEscaped(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const script = `<script>window.__xss=1</script>`
	const img = `<img src=x onerror="window.__xss=2">`
	svc := h.service("checkout")
	inc := h.trigger(svc, vigil.Event{Summary: "disk " + script + img, Severity: vigil.SeverityCritical,
		Labels: map[string]string{"host": img, "team": script},
		Links:  []vigil.Link{{Href: "https://runbooks.example.com/disk", Text: img}}})
	if _, err := h.db.AddNote(ctx, inc.ID, "note "+script+img); err != nil {
		t.Fatal(err)
	}
	h.group(&vigil.StakeholderGroup{Name: "support", Channels: []vigil.StakeholderChannel{{Type: vigil.ContactEmail, Address: "s@example.com"}}})
	if _, err := h.db.PostStatusUpdate(ctx, inc.ID, vigil.StatusUpdateInput{Message: "update " + script + img, Groups: []string{"support"}}); err != nil {
		t.Fatal(err)
	}
	h.use(hostileLinks{h.db})

	for _, path := range []string{"/incidents", fmt.Sprintf("/incidents/%d", inc.ID), fmt.Sprintf("/incidents?service=%d&status=open", svc.ID)} {
		rec := h.get(path)
		wantStatus(t, rec, http.StatusOK)
		page := rec.Body.String()
		for _, raw := range []string{"<script>window", "<img src=x", `onerror="`, "javascript:", "JavaScript:", "data:text/html", "vbscript:", `href="//evil`} {
			if strings.Contains(page, raw) {
				t.Errorf("%s: the page holds %q unescaped", path, raw)
			}
		}
		if !strings.Contains(page, "disk &lt;script&gt;window.__xss=1&lt;/script&gt;") {
			t.Errorf("%s: the payload is not shown escaped", path)
		}
	}
	page := h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()
	for _, want := range []string{`href="https://runbooks.example.com/disk"`, "note &lt;script&gt;", "update &lt;script&gt;",
		"&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
}
