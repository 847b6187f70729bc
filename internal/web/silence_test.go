package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// send posts one event for s and returns its result (a held alert has no
// incident, so harness.trigger cannot be used for it).
func (h *harness) send(s *vigil.Service, e vigil.Event) *vigil.EventResult {
	h.t.Helper()
	e.ServiceID = s.ID
	e.Normalize()
	res, err := h.db.ProcessEvents(context.Background(), []*vigil.Event{&e})
	if err != nil {
		h.t.Fatalf("ProcessEvents: %v", err)
	}
	return &res[0]
}

// silence stores a silence made of matcher texts (name, op, value).
func (h *harness) silence(s *vigil.Silence) *vigil.Silence {
	h.t.Helper()
	if s.CreatedBy == "" {
		s.CreatedBy = "alice"
	}
	if s.EndsAt.IsZero() {
		s.EndsAt = h.clock.Now().Add(2 * time.Hour)
	}
	if err := h.db.CreateSilence(context.Background(), s); err != nil {
		h.t.Fatalf("CreateSilence: %v", err)
	}
	return s
}

func eq(name, value string) vigil.SilenceMatcher {
	return vigil.SilenceMatcher{Name: name, Value: value, IsEqual: true}
}

// silences lists every stored silence.
func (h *harness) silences() []*vigil.Silence {
	h.t.Helper()
	l, _, err := h.db.FindSilences(context.Background(), vigil.SilenceFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// fieldError is the error shown next to the input with this id: the
// field-error paragraph between it and the next label of the form.
func fieldError(t *testing.T, body, inputID string) string {
	t.Helper()
	i := strings.Index(body, `id="`+inputID+`"`)
	if i < 0 {
		t.Fatalf("no input %q in:\n%s", inputID, excerpt(body))
	}
	rest := body[i:]
	if j := strings.Index(rest, "<label"); j >= 0 {
		rest = rest[:j]
	}
	m := regexp.MustCompile(`<p class="field-error">([^<]*)</p>`).FindStringSubmatch(rest)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func TestSilenceList(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	db := h.service("db")
	// Made 8 days ago and never used since: flagged unused.
	stale := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("team", "ghosts")}, EndsAt: h.clock.Now().Add(30 * 24 * time.Hour), Comment: "old"})
	h.clock.Advance(8 * 24 * time.Hour)
	now := h.clock.Now()

	active := h.silence(&vigil.Silence{
		Matchers:  []vigil.SilenceMatcher{eq("alertname", "DiskFull"), {Name: "instance", Value: "db-.*", IsRegex: true, IsEqual: true}},
		CreatedBy: xssName, Comment: "disk swap " + xssName, ServiceID: &db.ID,
	})
	pending := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("env", "staging")}, StartsAt: now.Add(time.Hour), EndsAt: now.Add(3 * time.Hour), Comment: "deploy window"})
	gone := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("env", "dev")}, Comment: "over"})
	if _, err := h.db.ExpireSilence(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	res := h.send(db, vigil.Event{Summary: "disk full", DedupKey: "disk-db-1", Labels: map[string]string{"alertname": "DiskFull", "instance": "db-1"}})
	if res.SilencedBy != active.ID || res.IncidentID != 0 {
		t.Fatalf("alert result %+v, want held by silence %d", res, active.ID)
	}
	h.send(db, vigil.Event{Summary: "cpu high", DedupKey: "cpu", Labels: map[string]string{"alertname": "CPU"}})

	rec := h.get("/silences")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if !strings.Contains(body, `href="/silences" aria-current="page">Silences</a>`) {
		t.Error("the menu does not mark Silences")
	}
	row := text(section(t, body, fmt.Sprintf("silence-%d", active.ID)))
	for _, want := range []string{
		`alertname="DiskFull"`, `instance=~"db-.*"`, "active", "db", xssName, "disk swap",
		"2026-03-22 09:26 UTC (now)", "2026-03-22 11:26 UTC (in 2h)", "Expire",
	} {
		if !strings.Contains(row, want) {
			t.Errorf("active row lacks %q: %s", want, row)
		}
	}
	if got := regexp.MustCompile(`class="num held-count">([^<]*)<`).FindStringSubmatch(section(t, body, fmt.Sprintf("silence-%d", active.ID))); got == nil || got[1] != "1" {
		t.Errorf("active silence holds %v, want 1", got)
	}
	if strings.Contains(row, "unused") {
		t.Error("a silence that holds an alert is flagged unused")
	}
	prow := text(section(t, body, fmt.Sprintf("silence-%d", pending.ID)))
	if !strings.Contains(prow, "pending") || !strings.Contains(prow, "(in 1h)") || !strings.Contains(prow, "every service") {
		t.Errorf("pending row = %s", prow)
	}
	if srow := text(section(t, body, fmt.Sprintf("silence-%d", stale.ID))); !strings.Contains(srow, "unused") || !strings.Contains(srow, "8d ago") {
		t.Errorf("stale row = %s, want flagged unused", srow)
	}
	if strings.Contains(body, fmt.Sprintf(`id="silence-%d"`, gone.ID)) {
		t.Error("the expired silence is listed with the current ones")
	}
	if n := strings.Count(body, `action="/silences/`); n != 3 {
		t.Errorf("%d expire forms, want 3 (active, pending, stale)", n)
	}
	held := section(t, body, "held-alerts")
	if !strings.Contains(held, "disk full") || strings.Contains(held, "cpu high") {
		t.Errorf("held alerts section = %s", text(held))
	}
	if !strings.Contains(held, fmt.Sprintf(`href="/silences/%d">silenced by #%d</a>`, active.ID, active.ID)) {
		t.Errorf("held alert has no badge linking its silence: %s", held)
	}

	rec = h.get("/silences?state=expired")
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noInlineCode(t, body)
	if !strings.Contains(body, fmt.Sprintf(`id="silence-%d"`, gone.ID)) || strings.Contains(body, fmt.Sprintf(`id="silence-%d"`, active.ID)) {
		t.Errorf("expired tab:\n%s", excerpt(text(body)))
	}
	if strings.Contains(body, `action="/silences/`) || strings.Contains(body, `id="held-alerts"`) {
		t.Error("the expired tab offers Expire or held alerts")
	}
	if !strings.Contains(body, `href="/silences?state=expired" aria-current="page"`) {
		t.Error("the expired tab is not marked current")
	}
}

func TestSilenceCreate(t *testing.T) {
	h := newHarness(t)
	db := h.service("db")
	now := h.clock.Now()

	rec := h.get("/silences/new")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noInlineCode(t, body)
	if !strings.Contains(body, `id="silence-duration" name="duration" value="2h"`) {
		t.Error("a new silence does not default to 2h")
	}

	rec = h.post("/silences", url.Values{
		"matchers":          {"alertname=\"DiskFull\"\r\n\r\n  env=~\"prod|staging\"  \r\n{team!=\"web\", host!~db-9}"},
		"service_id":        {fmt.Sprint(db.ID)},
		"duration":          {"2h"},
		"comment":           {"disk swap, OPS-12"},
		"expire_on_resolve": {"1"},
	})
	wantRedirect(t, rec, "/silences/1")
	l := h.silences()
	if len(l) != 1 {
		t.Fatalf("%d silences stored, want 1", len(l))
	}
	s := l[0]
	want := []vigil.SilenceMatcher{
		eq("alertname", "DiskFull"),
		{Name: "env", Value: "prod|staging", IsRegex: true, IsEqual: true},
		{Name: "team", Value: "web"},
		{Name: "host", Value: "db-9", IsRegex: true},
	}
	if !vigil.SameMatchers(s.Matchers, want) {
		t.Errorf("matchers = %+v, want %+v", s.Matchers, want)
	}
	if !s.EndsAt.Equal(now.Add(2*time.Hour)) || !s.StartsAt.Equal(now) {
		t.Errorf("silence from %s to %s, want %s for 2h", s.StartsAt, s.EndsAt, now)
	}
	if s.CreatedBy != "alice" || s.Comment != "disk swap, OPS-12" || !s.ExpireOnResolve || s.ServiceID == nil || *s.ServiceID != db.ID {
		t.Errorf("silence = %+v", s)
	}
	page := h.follow(rec).Body.String()
	if flash := text(page); !strings.Contains(flash, "Silence #1 created: new alerts it matches are held, without paging, until 2026-03-14 11:26 UTC (in 2h).") {
		t.Errorf("page after creating:\n%s", excerpt(flash))
	}

	// An end time instead of a duration (UTC); the duration is ignored.
	rec = h.post("/silences", url.Values{"matchers": {`alertname="Backup"`}, "duration": {"2h"}, "ends_at": {"2026-03-14T18:00"}, "comment": {"nightly"}})
	wantRedirect(t, rec, "/silences/2")
	s2, err := h.db.FindSilenceByID(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.EndsAt.Equal(time.Date(2026, 3, 14, 18, 0, 0, 0, time.UTC)) || s2.ServiceID != nil || s2.ExpireOnResolve {
		t.Errorf("second silence = %+v", s2)
	}

	// It works: a matching alert is stored, held, in no incident.
	res := h.send(db, vigil.Event{Summary: "disk", DedupKey: "d1", Labels: map[string]string{"alertname": "DiskFull", "env": "prod", "team": "db", "host": "db-1"}})
	if res.SilencedBy != s.ID || res.IncidentID != 0 {
		t.Errorf("matching alert: %+v, want held by #%d", res, s.ID)
	}
}

func TestSilenceCreateErrors(t *testing.T) {
	h := newHarness(t)
	h.service("db")
	good := url.Values{"matchers": {`alertname="DiskFull"`}, "duration": {"2h"}, "comment": {"why"}}
	with := func(k, v string, more ...string) url.Values {
		f := url.Values{}
		for name, vs := range good {
			f[name] = vs
		}
		f.Set(k, v)
		for i := 0; i+1 < len(more); i += 2 {
			f.Set(more[i], more[i+1])
		}
		return f
	}
	for _, c := range []struct {
		name  string
		form  url.Values
		input string // id of the input the error is shown next to
		want  string
	}{
		{"no matchers", with("matchers", " \n "), "silence-matchers", "Matchers: at least one is required"},
		{"no operator", with("matchers", "alertname=\"x\"\nDiskFull"), "silence-matchers", "Matchers: line 2 (DiskFull): end of input: expected an operator"},
		{"open quote", with("matchers", `alertname="DiskFull`), "silence-matchers", "Matchers: line 1: a quote is not closed"},
		{"bad regexp", with("matchers", "env=\"prod\"\n\ninstance=~\"db-(\""), "silence-matchers", "Matchers: line 3 (instance=~\"db-(\"): failed to create matcher: error parsing regexp"},
		{"matches everything", with("matchers", `env=~".*"`), "silence-matchers", "must not match the empty string"},
		{"no value", with("matchers", `env=`), "silence-matchers", "expected label value"},
		{"unknown service", with("service_id", "999"), "silence-service", "Service: choose a service from the list"},
		{"bad duration", with("duration", "soon"), "silence-duration", "Duration: must be a duration such as 30m, 2h or 1d12h"},
		{"zero duration", with("duration", "0s"), "silence-duration", "Duration: must be above zero"},
		{"too long", with("duration", "4000d"), "silence-duration", "Duration: must be at most 10 years"},
		{"no end", with("duration", ""), "silence-duration", "Duration: give a duration such as 2h, or an end time"},
		{"end in the past", with("ends_at", "2026-03-14T09:00"), "silence-ends-at", "End time: must be in the future"},
		{"bad end", with("ends_at", "tomorrow"), "silence-ends-at", "End time: must be a date and time such as"},
		{"no comment", with("comment", "   "), "silence-comment", "Comment: is required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post("/silences", c.form)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := rec.Body.String()
			noInlineCode(t, body)
			if got := fieldError(t, body, c.input); !strings.Contains(got, c.want) {
				t.Errorf("error next to %s = %q, want %q\n%s", c.input, got, c.want, excerpt(text(section(t, body, "silence-form"))))
			}
			if !regexp.MustCompile(`id="` + c.input + `"[^>]*aria-invalid="true"`).MatchString(body) {
				t.Errorf("%s is not marked invalid", c.input)
			}
			// What was typed is kept.
			if m := strings.TrimSpace(c.form.Get("matchers")); m != "" && !strings.Contains(body, html.EscapeString(m)) {
				t.Errorf("the matchers typed are not kept")
			}
			if n := len(h.silences()); n != 0 {
				t.Fatalf("a refused form stored %d silences", n)
			}
		})
	}

	// Several inputs wrong at once: each shows its own error.
	rec := h.post("/silences", url.Values{"matchers": {"nonsense"}, "duration": {"x"}, "comment": {""}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := rec.Body.String()
	for input, want := range map[string]string{"silence-matchers": "expected an operator", "silence-duration": "must be a duration", "silence-comment": "is required"} {
		if got := fieldError(t, body, input); !strings.Contains(got, want) {
			t.Errorf("error next to %s = %q, want %q", input, got, want)
		}
	}

	// Escaped: a comment with markup comes back as text.
	rec = h.post("/silences", url.Values{"matchers": {"env=" + xssName}, "duration": {"x"}, "comment": {xssName}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	noRawXSS(t, rec.Body.String())
}

func TestSilenceFromIncidentAlert(t *testing.T) {
	h := newHarness(t)
	db := h.service("db")
	inc := h.trigger(db, vigil.Event{Summary: "Disk full", Severity: vigil.SeverityCritical, DedupKey: "disk-db-1",
		Labels: map[string]string{"env": "prod", "host": "db-1", "note": xssName}})

	body := h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	m := regexp.MustCompile(`<a class="silence-like" id="silence-alert-\d+" href="([^"]+)">Silence alerts like this</a>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no \"Silence alerts like this\" link on the incident page:\n%s", excerpt(section(t, body, "incident-title")))
	}
	link := html.UnescapeString(m[1])
	if !strings.HasPrefix(link, "/silences/new?") {
		t.Fatalf("link = %q", link)
	}

	rec := h.get(link)
	wantStatus(t, rec, http.StatusOK)
	form := rec.Body.String()
	noRawXSS(t, form)
	noInlineCode(t, form)
	ta := regexp.MustCompile(`(?s)<textarea id="silence-matchers"[^>]*>(.*?)</textarea>`).FindStringSubmatch(form)
	if ta == nil {
		t.Fatal("no matchers textarea")
	}
	wantLines := []string{`alertname="Disk full"`, `env="prod"`, `host="db-1"`, `note="<script>alert(1)</script>"`, `severity="critical"`}
	if got := strings.Split(html.UnescapeString(ta[1]), "\n"); strings.Join(got, "|") != strings.Join(wantLines, "|") {
		t.Errorf("pre-filled matchers = %q, want %q", got, wantLines)
	}
	if !strings.Contains(form, `name="duration" value="2h"`) {
		t.Error("duration is not 2h")
	}
	if !strings.Contains(form, fmt.Sprintf(`<option value="%d" selected>db</option>`, db.ID)) {
		t.Error("the alert's service is not chosen")
	}
	if c := regexp.MustCompile(`(?s)<textarea id="silence-comment"[^>]*>(.*?)</textarea>`).FindStringSubmatch(form); c == nil || c[1] != fmt.Sprintf("Silenced from incident #%d", inc.ID) {
		t.Errorf("comment = %v", c)
	}

	// The person drops the host and note lines and saves.
	rec = h.post("/silences", url.Values{
		"matchers":   {strings.Join([]string{wantLines[0], wantLines[1], wantLines[4]}, "\n")},
		"service_id": {fmt.Sprint(db.ID)},
		"duration":   {"2h"},
		"comment":    {fmt.Sprintf("Silenced from incident #%d", inc.ID)},
	})
	wantRedirect(t, rec, "/silences/1")
	res := h.send(db, vigil.Event{Summary: "Disk full", Severity: vigil.SeverityCritical, DedupKey: "disk-db-2", Labels: map[string]string{"env": "prod", "host": "db-2"}})
	if res.SilencedBy != 1 || res.IncidentID != 0 {
		t.Errorf("next alert = %+v, want held by silence 1", res)
	}
	other := h.send(db, vigil.Event{Summary: "Disk full", Severity: vigil.SeverityCritical, DedupKey: "disk-db-3", Labels: map[string]string{"env": "staging"}})
	if other.SilencedBy != 0 || other.IncidentID == 0 {
		t.Errorf("staging alert = %+v, want an incident", other)
	}
}

func TestSilenceShowListsHeldAlerts(t *testing.T) {
	h := newHarness(t)
	db := h.service("db")
	web := h.service("web")
	s := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("alertname", "DiskFull")}, CreatedBy: xssName, Comment: "swap <b>disk</b>", ExpireOnResolve: true})
	scoped := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("alertname", "Latency")}, ServiceID: &web.ID, Comment: "deploy"})
	for i, host := range []string{"db-1", "db-2"} {
		h.clock.Advance(time.Minute)
		if r := h.send(db, vigil.Event{Summary: "Disk full on " + host, DedupKey: host, Labels: map[string]string{"alertname": "DiskFull", "host": host}}); r.SilencedBy != s.ID {
			t.Fatalf("alert %d not held: %+v", i, r)
		}
	}
	if r := h.send(web, vigil.Event{Summary: "slow", DedupKey: "lat", Labels: map[string]string{"alertname": "Latency"}}); r.SilencedBy != scoped.ID {
		t.Fatalf("web alert not held by the scoped silence: %+v", r)
	}
	// Another service's latency is not the scoped silence's business.
	if r := h.send(db, vigil.Event{Summary: "db slow", DedupKey: "lat", Labels: map[string]string{"alertname": "Latency"}}); r.SilencedBy != 0 || r.IncidentID == 0 {
		t.Fatalf("db latency alert: %+v, want an incident", r)
	}
	// A held alert that resolved is no longer held now.
	h.send(db, vigil.Event{Action: vigil.ActionTrigger, Summary: "Disk full on db-3", DedupKey: "db-3", Labels: map[string]string{"alertname": "DiskFull"}})
	h.send(db, vigil.Event{Action: vigil.ActionResolve, DedupKey: "db-3"})

	rec := h.get(fmt.Sprintf("/silences/%d", s.ID))
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if strings.Contains(body, "<b>disk") {
		t.Error("the comment is not escaped")
	}
	facts := text(section(t, body, "silence-facts"))
	for _, want := range []string{`alertname="DiskFull"`, "every service", "2026-03-14 11:26 UTC (in 1h 58m)", "Last held an alert 2026-03-14 09:28 UTC (now)", "as soon as the alerts it holds have all resolved", s.UUID, "swap <b>disk</b>"} {
		if !strings.Contains(facts, want) {
			t.Errorf("facts lack %q: %s", want, facts)
		}
	}
	held := section(t, body, "held-alerts")
	if got := text(section(t, body, "held-total")); got != "(2)" {
		t.Errorf("held total = %q, want (2)", got)
	}
	heldText := text(held)
	if !strings.Contains(heldText, "Disk full on db-1") || !strings.Contains(heldText, "Disk full on db-2") || strings.Contains(heldText, "db-3") || strings.Contains(heldText, "slow") {
		t.Errorf("held alerts = %s", heldText)
	}
	if i, j := strings.Index(heldText, "db-2"), strings.Index(heldText, "db-1"); i > j {
		t.Error("held alerts are not newest first")
	}
	if strings.Count(held, fmt.Sprintf("silenced by #%d", s.ID)) != 2 {
		t.Errorf("held rows lack the badge: %s", held)
	}
	if !strings.Contains(body, `id="expire-silence"`) {
		t.Error("an active silence's page offers no Expire")
	}
	again := regexp.MustCompile(`id="silence-again" href="([^"]+)"|href="([^"]+)" id="silence-again"`).FindStringSubmatch(body)
	if again == nil || !strings.Contains(html.UnescapeString(again[0]), "matcher=alertname%3D%22DiskFull%22") {
		t.Errorf("New silence like this link = %v", again)
	}

	body = h.get(fmt.Sprintf("/silences/%d", scoped.ID)).Body.String()
	if heldText := text(section(t, body, "held-alerts")); !strings.Contains(heldText, "slow") || strings.Contains(heldText, "db slow") || !strings.Contains(heldText, "web") {
		t.Errorf("scoped silence's held alerts = %s", heldText)
	}
	if !strings.Contains(text(section(t, body, "silence-facts")), "Service web") {
		t.Error("the scoped silence does not name its service")
	}

	wantStatus(t, h.get("/silences/999"), http.StatusNotFound)
	wantStatus(t, h.get("/silences/abc"), http.StatusNotFound)
}

func TestSilenceExpire(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	db := h.service("db")
	s := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("alertname", "DiskFull")}, Comment: "swap"})
	res := h.send(db, vigil.Event{Summary: "disk", DedupKey: "d1", Labels: map[string]string{"alertname": "DiskFull"}})
	if res.SilencedBy != s.ID {
		t.Fatalf("not held: %+v", res)
	}

	rec := h.post(fmt.Sprintf("/silences/%d/expire", s.ID), url.Values{"return": {"list"}})
	wantRedirect(t, rec, "/silences")
	page := text(h.follow(rec).Body.String())
	if !strings.Contains(page, fmt.Sprintf("Silence #%d expired. The 1 alert it held now page", s.ID)) {
		t.Errorf("page after expiring:\n%s", excerpt(page))
	}
	got, err := h.db.FindSilenceByID(ctx, s.ID)
	if err != nil || got.State != vigil.SilenceExpired || !got.EndsAt.Equal(h.clock.Now()) {
		t.Errorf("silence after expiring: %+v (%v)", got, err)
	}
	a, err := h.db.FindAlertByID(ctx, res.AlertID)
	if err != nil || a.IncidentID == 0 || a.SilencedBy != nil {
		t.Errorf("the held alert was not released to an incident: %+v (%v)", a, err)
	}
	if strings.Contains(h.get(fmt.Sprintf("/silences/%d", s.ID)).Body.String(), `id="expire-silence"`) {
		t.Error("an expired silence still offers Expire")
	}

	// Again, from its page: nothing changes.
	rec = h.post(fmt.Sprintf("/silences/%d/expire", s.ID), nil)
	wantRedirect(t, rec, fmt.Sprintf("/silences/%d", s.ID))
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "had already ended") {
		t.Errorf("expiring twice:\n%s", excerpt(page))
	}
	rec = h.post("/silences/999/expire", nil)
	wantRedirect(t, rec, "/silences")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "That silence does not exist.") {
		t.Errorf("expiring an unknown silence:\n%s", excerpt(page))
	}
	wantStatus(t, h.post("/silences/x/expire", nil), http.StatusNotFound)
}

// TestSilencePagesNeedSessionAndSameSite: the pages need a session, and
// the two POSTs are refused from another site or without a session,
// changing nothing.
func TestSilencePagesNeedSessionAndSameSite(t *testing.T) {
	h := newHarness(t)
	s := h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("alertname", "DiskFull")}, Comment: "swap"})
	for _, p := range []string{"/silences", "/silences?state=expired", "/silences/new", fmt.Sprintf("/silences/%d", s.ID)} {
		wantStatus(t, h.get(p), http.StatusOK)
		wantRedirect(t, h.do(req{path: p}), "/login")
	}
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/silences", url.Values{"matchers": {`alertname=~".+"`}, "duration": {"100d"}, "comment": {"pwned"}}},
		{fmt.Sprintf("/silences/%d/expire", s.ID), url.Values{}},
	} {
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: evil}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", p.path, rec.Code)
		}
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form}); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s signed out: %d, want 401", p.path, rec.Code)
		}
	}
	l := h.silences()
	if len(l) != 1 || l[0].State != vigil.SilenceActive {
		t.Errorf("after refused requests the silences are %+v, want the one active", l)
	}
}
