package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/api"
	"github.com/vigil-oss/vigil/internal/ingest/alertmanager"
	"github.com/vigil-oss/vigil/internal/vigil"
)

const amAPIPath = "/api/v2/alerts"

// postAM posts a body to the Alertmanager API with the integration key.
func (e *env) postAM(body string) response {
	e.t.Helper()
	return e.do("POST", amAPIPath, strings.NewReader(body), map[string]string{"Authorization": "Bearer " + e.key.Secret})
}

// getAM reads the Alertmanager API with the credential in auth.
func (e *env) getAM(path, auth string) []api.AMAlert {
	e.t.Helper()
	var out []api.AMAlert
	e.do("GET", path, nil, map[string]string{"Authorization": auth}).want(e.t, 200).json(e.t, &out)
	return out
}

// promAlert is an alert as Prometheus 2.x posts it: endsAt a few
// evaluation intervals ahead.
func promAlert(name, instance string, endsAt time.Time) string {
	return `{"labels":{"alertname":"` + name + `","instance":"` + instance + `","job":"node","severity":"warning"},` +
		`"annotations":{"summary":"` + name + ` on ` + instance + `","runbook_url":"https://runbooks/x"},` +
		`"startsAt":"2026-03-01T11:55:00Z","endsAt":"` + endsAt.Format(time.RFC3339Nano) + `",` +
		`"generatorURL":"http://prometheus:9090/graph?g0.expr=up%3D%3D0"}`
}

func TestAlertmanagerAPIPostResendAndExpiry(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	body := "[" + promAlert("InstanceDown", "web-1", now.Add(4*time.Minute)) + "," +
		promAlert("InstanceDown", "web-2", now.Add(4*time.Minute)) + "]"
	var res api.AMPostResult
	e.postAM(body).want(t, 200).json(t, &res)
	if res.Accepted != 2 || !res.Results[0].AlertNew || res.Results[0].IncidentID == 0 {
		t.Fatalf("post = %+v", res)
	}
	incident := res.Results[0].IncidentID

	// Prometheus re-sends every minute with a fresh endsAt: nothing new.
	for i := 0; i < 3; i++ {
		e.clock.Advance(time.Minute)
		now = e.clock.Now()
		e.postAM("["+promAlert("InstanceDown", "web-1", now.Add(4*time.Minute))+"]").want(t, 200).json(t, &res)
		if res.Results[0].AlertNew {
			t.Fatal("a re-send opened a new alert")
		}
		if n, err := e.store.ExpireAlerts(context.Background(), 100); err != nil || n != 0 {
			t.Fatalf("minute %d: ExpireAlerts = %d, %v; nothing has passed its end yet", i, n, err)
		}
	}
	// web-2 was never re-sent: its endsAt (t0+4m) passed one minute ago.
	e.clock.Advance(2 * time.Minute)
	if n, err := e.store.ExpireAlerts(context.Background(), 100); err != nil || n != 1 {
		t.Fatalf("ExpireAlerts = %d, %v; want web-2 resolved", n, err)
	}
	alerts := e.getAM(amAPIPath, "Bearer "+e.key.Secret)
	if len(alerts) != 1 || alerts[0].Labels["instance"] != "web-1" {
		t.Fatalf("firing after web-2 expired = %+v", alerts)
	}
	if d := e.incident(incident); d.Status == vigil.IncidentResolved {
		t.Fatal("incident resolved while web-1 fires")
	}

	// Prometheus resolves web-1 by sending endsAt in the past.
	e.postAM("["+promAlert("InstanceDown", "web-1", e.clock.Now().Add(-time.Second))+"]").want(t, 200).json(t, &res)
	if res.Results[0].Action != vigil.ActionResolve || !res.Results[0].Changed {
		t.Fatalf("resolve = %+v", res.Results[0])
	}
	d := e.incident(incident)
	if d.Status != vigil.IncidentResolved {
		t.Fatalf("incident %s after both alerts ended, want resolved", d.Status)
	}
	if len(e.getAM(amAPIPath, "Bearer "+e.key.Secret)) != 0 {
		t.Error("resolved alerts are still listed")
	}
	// The timeline says which alert expired and why.
	var tl api.Timeline
	e.call("GET", "/api/v1/incidents/"+itoa(incident)+"/timeline", "").want(t, 200).json(t, &tl)
	found := false
	for _, en := range tl.Items {
		if en.Kind == vigil.EntryAlertResolved && strings.Contains(en.Message, "end time passed") && en.ActorKind == vigil.ActorSystem {
			found = true
		}
	}
	if !found {
		t.Errorf("no timeline entry for the expiry: %+v", tl.Items)
	}
}

func TestAlertmanagerAPIResolveTimeoutWithoutEndsAt(t *testing.T) {
	e := newEnv(t)
	e.postAM(`[{"labels":{"alertname":"NoEnd"}}]`).want(t, 200)
	alerts := e.getAM(amAPIPath, "Bearer "+e.key.Secret)
	if len(alerts) != 1 || !alerts[0].EndsAt.Equal(e.clock.Now().Add(alertmanager.DefaultResolveTimeout)) {
		t.Fatalf("alerts = %+v, want endsAt now + 5m", alerts)
	}
	e.clock.Advance(4 * time.Minute)
	e.postAM(`[{"labels":{"alertname":"NoEnd"}}]`).want(t, 200) // re-sent: 5 more minutes
	e.clock.Advance(4 * time.Minute)
	if n, _ := e.store.ExpireAlerts(context.Background(), 10); n != 0 {
		t.Fatalf("expired %d alerts 4 minutes after a re-send", n)
	}
	e.clock.Advance(time.Minute)
	if n, _ := e.store.ExpireAlerts(context.Background(), 10); n != 1 {
		t.Fatalf("expired %d alerts 5 minutes after the last re-send, want 1", n)
	}
}

// The same alert through the API and through an Alertmanager webhook is one
// alert: both use Alertmanager's fingerprint.
func TestAlertmanagerAPISharesFingerprintWithWebhook(t *testing.T) {
	e := newEnv(t)
	labels := map[string]string{"alertname": "HighLatency", "instance": "web-1", "job": "checkout", "severity": "critical"}
	fp := alertmanager.Fingerprint(labels)
	e.alertmanager(amWebhook(0, amAlert("firing", "web-1", fp))).want(t, 200)
	b, _ := json.Marshal([]map[string]any{{"labels": labels}})
	var res api.AMPostResult
	e.postAM(string(b)).want(t, 200).json(t, &res)
	if res.Results[0].AlertNew {
		t.Fatalf("the API opened a second alert for the webhook's: %+v", res.Results[0])
	}
	alerts := e.getAM(amAPIPath, "Bearer "+e.token)
	if len(alerts) != 1 || alerts[0].Fingerprint != fp {
		t.Fatalf("alerts = %+v, want one with fingerprint %s", alerts, fp)
	}
}

func TestAlertmanagerAPIPostRefusals(t *testing.T) {
	e := newEnv(t)
	// Refused whole, as Alertmanager refuses them: a JSON string naming the field.
	for name, body := range map[string]string{
		"object not array": `{"labels":{"a":"b"}}`,
		"empty array":      `[]`,
		"malformed":        `[{"labels":`,
	} {
		r := e.postAM(body).want(t, 400)
		var msg string
		r.json(t, &msg)
		if !strings.Contains(msg, "body") {
			t.Errorf("%s: message %q does not name the body", name, msg)
		}
	}
	// One bad alert among good ones: the good ones are stored, and the
	// answer is 400 naming the bad one.
	now := e.clock.Now()
	body := "[" + promAlert("Good", "a", now.Add(time.Hour)) + `,{"labels":{"bad-name":"x"}},` +
		`{"labels":{"alertname":"Backwards"},"startsAt":"2026-03-01T12:10:00Z","endsAt":"2026-03-01T12:20:00Z"},` +
		`{"labels":{"alertname":"Late"},"startsAt":"2026-03-01T12:30:00Z","endsAt":"2026-03-01T12:20:00Z"},` +
		`{"annotations":{"summary":"no labels"}}]`
	r := e.postAM(body).want(t, 400)
	var msg string
	r.json(t, &msg)
	for _, want := range []string{"[1].labels", "[3].endsAt", "[4].labels", "3 of 5"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not mention %s", msg, want)
		}
	}
	names := map[string]bool{}
	for _, a := range e.getAM(amAPIPath, "Bearer "+e.key.Secret) {
		names[a.Labels["alertname"]] = true
	}
	if !names["Good"] || !names["Backwards"] || len(names) != 2 {
		t.Errorf("stored %v, want Good and Backwards (valid alerts of a partly bad batch are kept)", names)
	}
	// Credentials and content type as on every ingest route.
	e.do("POST", amAPIPath, strings.NewReader(`[]`), map[string]string{"Authorization": ""}).want(t, 401)
	e.do("POST", amAPIPath, strings.NewReader(`[]`), map[string]string{"Authorization": "Bearer " + e.token}).want(t, 401)
	e.do("POST", amAPIPath, strings.NewReader(`[{"labels":{"a":"b"}}]`),
		map[string]string{"Authorization": "Bearer " + e.key.Secret, "Content-Type": "text/plain"}).want(t, 415)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("prometheus:"+e.key.Secret))
	e.do("POST", amAPIPath, strings.NewReader(`[{"labels":{"alertname":"Basic"}}]`), map[string]string{"Authorization": basic}).want(t, 200)
}

func TestAlertmanagerAPIRead(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	e.postAM("["+promAlert("InstanceDown", "web-1", now.Add(time.Hour))+","+
		promAlert("InstanceDown", "db-1", now.Add(time.Hour))+","+
		promAlert("DiskFull", "db-1", now.Add(time.Hour))+"]").want(t, 200)
	// A second service, with an alert from the native API.
	other := &vigil.Service{Name: "payments", AutoResolve: true}
	other.Normalize()
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: "seed", Source: vigil.SourceAPI})
	if err := e.store.CreateService(ctx, other); err != nil {
		t.Fatal(err)
	}
	otherKey, err := e.store.CreateIntegrationKey(ctx, other.ID, "native")
	if err != nil {
		t.Fatal(err)
	}
	e.do("POST", "/api/v1/events", strings.NewReader(`{"summary":"Card declines spiking","dedup_key":"declines","severity":"critical"}`),
		map[string]string{"Authorization": "Bearer " + otherKey.Secret}).want(t, 202)

	tok := "Bearer " + e.token
	all := e.getAM(amAPIPath, tok)
	if len(all) != 4 {
		t.Fatalf("an API token sees %d alerts, want all 4", len(all))
	}
	mine := e.getAM(amAPIPath, "Bearer "+e.key.Secret)
	if len(mine) != 3 {
		t.Fatalf("an integration key sees %d alerts, want its service's 3", len(mine))
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("grafana:"+e.token))
	if got := e.getAM(amAPIPath, basic); len(got) != 4 {
		t.Fatalf("an API token as basic-auth password sees %d alerts, want 4", len(got))
	}
	var native api.AMAlert
	for _, a := range all {
		if a.Receivers[0].Name == "payments" {
			native = a
		}
	}
	if native.Labels["alertname"] != "Card declines spiking" || native.Labels["severity"] != "critical" ||
		native.Annotations["summary"] != "Card declines spiking" || len(native.Fingerprint) != 16 || native.Status.State != "active" {
		t.Errorf("native alert as Alertmanager shows it: %+v", native)
	}
	for _, a := range mine {
		if a.Annotations["runbook_url"] != "https://runbooks/x" || !a.StartsAt.Equal(time.Date(2026, 3, 1, 11, 55, 0, 0, time.UTC)) ||
			a.GeneratorURL == "" || !a.EndsAt.Equal(now.Add(time.Hour)) || a.Receivers[0].Name != "checkout" {
			t.Errorf("posted alert read back: %+v", a)
		}
	}

	filter := func(q url.Values) []api.AMAlert { return e.getAM(amAPIPath+"?"+q.Encode(), tok) }
	cases := []struct {
		q    url.Values
		want int
	}{
		{url.Values{"filter": {`alertname="InstanceDown"`}}, 2},
		{url.Values{"filter": {`alertname="InstanceDown"`, `instance=~"db-.*"`}}, 1},
		{url.Values{"filter": {`instance!="db-1"`}}, 2}, // web-1 and the native alert (no instance)
		{url.Values{"filter": {`{severity=~"warning|critical"}`}}, 4},
		{url.Values{"receiver": {"pay.*"}}, 1},
		{url.Values{"receiver": {"pay"}}, 0}, // anchored
		{url.Values{"active": {"false"}}, 0},
		{url.Values{"silenced": {"false"}, "inhibited": {"false"}, "unprocessed": {"false"}}, 4},
	}
	for _, c := range cases {
		if got := filter(c.q); len(got) != c.want {
			t.Errorf("%v: %d alerts, want %d", c.q, len(got), c.want)
		}
	}
	for _, q := range []string{"filter=" + url.QueryEscape(`alertname=~"("`), "filter=nonsense", "active=maybe", "receiver=" + url.QueryEscape("(")} {
		r := e.do("GET", amAPIPath+"?"+q, nil, map[string]string{"Authorization": tok}).want(t, 400)
		var msg string
		r.json(t, &msg)
		if msg == "" {
			t.Errorf("%s: empty message", q)
		}
	}

	var groups []api.AMAlertGroup
	e.do("GET", "/api/v2/alerts/groups", nil, map[string]string{"Authorization": tok}).want(t, 200).json(t, &groups)
	total := 0
	for _, g := range groups {
		total += len(g.Alerts)
		for _, a := range g.Alerts {
			for k, v := range g.Labels {
				if a.Labels[k] != v {
					t.Errorf("group label %s=%s not shared by alert %v", k, v, a.Labels)
				}
			}
		}
	}
	if total != 4 || len(groups) != 2 {
		t.Errorf("%d groups with %d alerts, want 2 incidents (one per service) holding 4", len(groups), total)
	}
	if len(groups) == 2 && (groups[0].Receiver.Name != "checkout" || groups[0].Labels["job"] != "node" || groups[0].Labels["instance"] != "") {
		t.Errorf("first group %+v: want checkout with the shared job label and no instance", groups[0])
	}

	var recv []api.AMReceiver
	e.do("GET", "/api/v2/receivers", nil, map[string]string{"Authorization": tok}).want(t, 200).json(t, &recv)
	if len(recv) != 2 || recv[0].Name != "checkout" || recv[1].Name != "payments" {
		t.Errorf("receivers = %v", recv)
	}
	e.do("GET", "/api/v2/receivers", nil, map[string]string{"Authorization": "Bearer " + otherKey.Secret}).want(t, 200).json(t, &recv)
	if len(recv) != 1 || recv[0].Name != "payments" {
		t.Errorf("receivers seen by payments' key = %v", recv)
	}

	r := e.do("GET", "/api/v2/status", nil, map[string]string{"Authorization": tok}).want(t, 200)
	var st api.AMStatus
	r.json(t, &st)
	if st.Cluster.Status != "disabled" || st.VersionInfo.GoVersion == "" || !strings.Contains(st.Config.Original, `name: "payments"`) ||
		!st.Uptime.Equal(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("status = %+v", st)
	}
	for _, secret := range []string{e.token, e.key.Secret, otherKey.Secret, "vgi_", "vgt_"} {
		if strings.Contains(r.body, secret) {
			t.Errorf("status holds a secret (%.8s...)", secret)
		}
	}
	// Readers need a credential.
	for _, p := range []string{amAPIPath, "/api/v2/alerts/groups", "/api/v2/status", "/api/v2/receivers"} {
		e.do("GET", p, nil, map[string]string{"Authorization": ""}).want(t, 401)
		e.do("GET", p, nil, map[string]string{"Authorization": "Bearer vgi_nope"}).want(t, 401)
		e.do("GET", p, nil, map[string]string{"Authorization": "Bearer vgt_nope"}).want(t, 401)
	}
}
