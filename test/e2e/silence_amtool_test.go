package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAmtoolSilences drives Vigil's silences with amtool against a real
// `vigil serve`: silence add, query (with a matcher) and expire. An alert
// sent while the silence is active is recorded as silenced, without an
// incident (no page); expiring the silence makes it page.
func TestAmtoolSilences(t *testing.T) {
	requireBinary(t, amtoolBin, "prometheus-alertmanager", "VIGIL_REQUIRE_ALERTMANAGER")
	p := newProc(t, "--data-dir", t.TempDir())
	p.start()
	base := p.url()
	svc, key := createServiceAndKey(t, base, "amtool-silences")

	amtool := amtoolCLI(t, p, key)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	id := strings.TrimSpace(amtool("silence", "add", "alertname=AmtoolSilenced", `instance=~"web-.*"`,
		"--duration=1h", "--comment=e2e: planned restart", "--author=e2e"))
	if len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Fatalf("amtool silence add printed %q, want a silence UUID", id)
	}
	// A second silence the query must leave out.
	other := strings.TrimSpace(amtool("silence", "add", "alertname=SomethingElse", "--duration=2h", "--comment=other"))

	var got []struct {
		ID       string `json:"id"`
		Matchers []struct {
			Name, Value string
			IsRegex     bool
		} `json:"matchers"`
		CreatedBy string `json:"createdBy"`
		Comment   string `json:"comment"`
		Status    struct{ State string }
	}
	out := amtool("silence", "query", "-o", "json", "alertname=AmtoolSilenced")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("amtool silence query output is not JSON: %v\n%s", err, out)
	}
	if len(got) != 1 || got[0].ID != id || got[0].Status.State != "active" || got[0].CreatedBy != "e2e" ||
		got[0].Comment != "e2e: planned restart" || len(got[0].Matchers) != 2 || !got[0].Matchers[1].IsRegex {
		t.Fatalf("amtool silence query alertname=AmtoolSilenced = %+v, want the one silence %s", got, id)
	}
	if out := amtool("silence", "query", "-q"); !strings.Contains(out, id) || !strings.Contains(out, other) {
		t.Errorf("amtool silence query -q lists %q, want both silences", out)
	}
	if out := amtool("silence", "query", "alertname=AmtoolSilenced"); !strings.Contains(out, id) || strings.Contains(out, other) ||
		!strings.Contains(out, "planned restart") {
		t.Errorf("amtool silence query (table):\n%s", out)
	}

	// An alert the silence matches, and one it does not.
	amtool("alert", "add", "alertname=AmtoolSilenced", "instance=web-3", "--annotation=summary=Restarting web-3")
	amtool("alert", "add", "alertname=AmtoolSilenced", "instance=db-1")
	inc := waitIncident(t, ctx, base, svc, "triggered") // db-1's: the silence does not match it
	alerts := silenceAlerts(t, ctx, base, svc)
	held := alerts["web-3"]
	if held.SilencedBy == 0 || held.IncidentID != 0 || held.Status != "firing" {
		t.Fatalf("web-3 alert = %+v, want firing, silenced, without incident", held)
	}
	if db := alerts["db-1"]; db.SilencedBy != 0 || db.IncidentID != inc.ID {
		t.Errorf("db-1 alert = %+v, want on incident %d", db, inc.ID)
	}
	if inc.AlertCount != 1 {
		t.Errorf("incident has %d alerts, want only db-1's", inc.AlertCount)
	}
	// amtool sees it suppressed by the silence, not among active alerts.
	if out := amtool("alert", "query", "-o", "extended", "alertname=AmtoolSilenced"); strings.Contains(out, "web-3") || !strings.Contains(out, "db-1") {
		t.Errorf("active alerts:\n%s", out)
	}
	var silenced []struct {
		Labels map[string]string
		Status struct {
			State      string
			SilencedBy []string
		}
	}
	out = amtool("alert", "query", "-s", "-o", "json", "alertname=AmtoolSilenced")
	if err := json.Unmarshal([]byte(out), &silenced); err != nil {
		t.Fatalf("amtool alert query -s: %v\n%s", err, out)
	}
	found := false
	for _, a := range silenced {
		if a.Labels["instance"] == "web-3" {
			found = a.Status.State == "suppressed" && len(a.Status.SilencedBy) == 1 && a.Status.SilencedBy[0] == id
		}
	}
	if !found {
		t.Errorf("amtool alert query -s = %+v, want web-3 suppressed by %s", silenced, id)
	}

	// Vigil's CLI lists the same silence.
	cli := exec.Command(vigilBinary(t), "silence", "list", "-o", "json")
	cli.Env = append(os.Environ(), "VIGIL_URL="+base, "VIGIL_TOKEN="+adminToken)
	cliOut, err := cli.Output()
	if err != nil || !strings.Contains(string(cliOut), id) {
		t.Errorf("vigil silence list: %v\n%s", err, cliOut)
	}

	// amtool silence expire: the held alert pages now (it joins the open
	// incident of its service), and the silence is listed as expired.
	amtool("silence", "expire", id)
	deadline := time.Now().Add(30 * time.Second)
	for {
		held = silenceAlerts(t, ctx, base, svc)["web-3"]
		if held.IncidentID != 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if held.IncidentID != inc.ID || held.SilencedBy != 0 {
		t.Fatalf("web-3 after amtool silence expire = %+v, want on incident %d", held, inc.ID)
	}
	if out := amtool("silence", "query", "-q"); strings.Contains(out, id) || !strings.Contains(out, other) {
		t.Errorf("after expire, active silences = %q", out)
	}
	if out := amtool("silence", "query", "--expired", "-q"); !strings.Contains(out, id) {
		t.Errorf("after expire, expired silences = %q", out)
	}
	// A new matching alert now pages too.
	amtool("alert", "add", "alertname=AmtoolSilenced", "instance=web-4")
	if a := silenceAlerts(t, ctx, base, svc)["web-4"]; a.SilencedBy != 0 || a.IncidentID == 0 {
		t.Errorf("web-4 after the silence = %+v", a)
	}

	// A silence that runs out on its own: the server's housekeeping job
	// (every 5 s) releases the alert it held, which then pages.
	amtool("silence", "add", "alertname=ShortLived", "--duration=2s", "--comment=runs out")
	amtool("alert", "add", "alertname=ShortLived", "instance=cache-1")
	if a := silenceAlerts(t, ctx, base, svc)["cache-1"]; a.SilencedBy == 0 || a.IncidentID != 0 {
		t.Fatalf("cache-1 under the short silence = %+v", a)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		a := silenceAlerts(t, ctx, base, svc)["cache-1"]
		if a.IncidentID != 0 && a.SilencedBy == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cache-1 still held 30 s after its 2 s silence: %+v", a)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type silenceAlert struct {
	ID         int64             `json:"id"`
	IncidentID int64             `json:"incident_id"`
	SilencedBy int64             `json:"silenced_by"`
	Status     string            `json:"status"`
	Labels     map[string]string `json:"labels"`
}

// silenceAlerts returns the service's alerts by their instance label.
func silenceAlerts(t *testing.T, ctx context.Context, base string, serviceID int64) map[string]silenceAlert {
	t.Helper()
	var list struct{ Items []silenceAlert }
	if _, err := apiCall(ctx, "GET", fmt.Sprintf("%s/api/v1/alerts?service_id=%d", base, serviceID), adminToken, nil, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]silenceAlert{}
	for _, a := range list.Items {
		out[a.Labels["instance"]] = a
	}
	return out
}
