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

// inputError is the error shown for the input (or group) with this id:
// the first field-error paragraph after it, before the next input's label.
func inputError(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element %q in:\n%s", id, excerpt(body))
	}
	rest := body[i:]
	if j := regexp.MustCompile(`<label for=|<span id=|</form>`).FindStringIndex(rest); j != nil {
		rest = rest[:j[0]]
	}
	m := regexp.MustCompile(`<p class="field-error">([^<]*)</p>`).FindStringSubmatch(rest)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// windows lists every stored maintenance window.
func (h *harness) windows() []*vigil.MaintenanceWindow {
	h.t.Helper()
	l, err := h.db.ListMaintenanceWindows(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// TestMaintenanceCreateEditEndDelete: a one-off window made in the form
// holds an alert posted while it is open, which shows on its page and the
// list; edited it becomes weekly; ended early and deleted, what it held
// pages.
func TestMaintenanceCreateEditEndDelete(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	db := h.service("db")
	web := h.service("web")
	berlin, _ := time.LoadLocation("Europe/Berlin")

	// The clock is Saturday 14 March 2026, 09:26:53 UTC (10:26 in Berlin).
	rec := h.post("/maintenance", url.Values{
		"name": {"db upgrade"}, "services": {fmt.Sprint(db.ID)}, "matchers": {`env="prod"` + "\n" + `team=~"db|ops"`},
		"kind": {"once"}, "time_zone": {"Europe/Berlin"}, "start": {"2026-03-14T10:00"}, "end": {"2026-03-14T13:30"},
		"duration": {"2h"}, // ignored: the end is set
	})
	wantRedirect(t, rec, "/maintenance/1")
	page := text(h.follow(rec).Body.String())
	if !strings.Contains(page, "Maintenance window db upgrade created: open now: new alerts it covers are held, without paging, until 2026-03-14 12:30 UTC (in 3h 3m).") {
		t.Errorf("page after creating:\n%s", excerpt(page))
	}
	ws := h.windows()
	if len(ws) != 1 {
		t.Fatalf("windows = %+v", ws)
	}
	w := ws[0]
	if w.Name != "db upgrade" || w.TimeZone != "Europe/Berlin" || !w.Start.Equal(time.Date(2026, 3, 14, 10, 0, 0, 0, berlin)) ||
		!w.End.Equal(time.Date(2026, 3, 14, 13, 30, 0, 0, berlin)) || w.Recurrence != nil || fmt.Sprint(w.ServiceIDs) != fmt.Sprint([]int64{db.ID}) ||
		strings.Join(w.Matchers, "|") != `env="prod"|team=~"db|ops"` || w.CreatedBy != "alice" || w.State != vigil.MaintenanceOpen {
		t.Errorf("stored window = %+v", w)
	}

	// An alert posted while it is open is held; one of another service or
	// not matching is not.
	held := h.send(db, vigil.Event{Summary: "replica lag", DedupKey: "lag", Labels: map[string]string{"env": "prod", "team": "db"}})
	if held.HeldByWindow != w.ID || held.IncidentID != 0 {
		t.Fatalf("alert during the window = %+v", held)
	}
	if r := h.send(web, vigil.Event{Summary: "5xx", DedupKey: "5xx", Labels: map[string]string{"env": "prod", "team": "db"}}); r.IncidentID == 0 {
		t.Fatalf("alert of another service = %+v", r)
	}
	if r := h.send(db, vigil.Event{Summary: "staging", DedupKey: "stg", Labels: map[string]string{"env": "staging", "team": "db"}}); r.IncidentID == 0 {
		t.Fatalf("alert not matching = %+v", r)
	}

	body := h.get("/maintenance/1").Body.String()
	noInlineCode(t, body)
	facts := text(section(t, body, "maintenance-facts"))
	for _, want := range []string{"Services db", `env="prod" team=~"db|ops"`, "once, Sat 14 Mar 10:00 CET to Sat 14 Mar 13:30 CET", "Europe/Berlin",
		"open closes Sat 14 Mar 13:30 CET (in 3h 3m)", "Created by alice"} {
		if !strings.Contains(facts, want) {
			t.Errorf("facts lack %q: %s", want, facts)
		}
	}
	if got := text(section(t, body, "held-total")); got != "(1)" {
		t.Errorf("held total = %q", got)
	}
	heldRows := section(t, body, "held-alerts")
	if !strings.Contains(text(heldRows), "replica lag") || strings.Contains(text(heldRows), "5xx") ||
		!strings.Contains(heldRows, `<a class="badge maintenance" href="/maintenance/1">maintenance: db upgrade</a>`) {
		t.Errorf("held alerts: %s", heldRows)
	}
	if !strings.Contains(body, `id="end-window"`) {
		t.Error("an open one-off window offers no End now")
	}
	// The edit form shows the window as stored, in its zone.
	for _, want := range []string{`name="start" type="datetime-local" value="2026-03-14T10:00"`, `name="end" type="datetime-local" value="2026-03-14T13:30"`,
		fmt.Sprintf(`<option value="%d" selected>db</option>`, db.ID), `value="once" id="maintenance-kind-once" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}

	list := h.get("/maintenance").Body.String()
	noInlineCode(t, list)
	row := text(section(t, list, "maintenance-1"))
	for _, want := range []string{"db upgrade", "db", `env="prod"`, "Europe/Berlin", "open", "closes", " 1 ", "End now"} {
		if !strings.Contains(row+" ", want) {
			t.Errorf("list row lacks %q: %s", want, row)
		}
	}
	if !strings.Contains(text(section(t, list, "held-alerts")), "replica lag") {
		t.Error("the list does not show the held alert")
	}
	if !strings.Contains(list, `<a href="/maintenance" aria-current="page">Maintenance</a>`) {
		t.Error("the navigation does not mark Maintenance")
	}

	// Edited into a weekly window on Mondays and Saturdays from 10:00 for
	// 4h: still open now (until 14:00 Berlin), next opening Monday.
	rec = h.post("/maintenance/1", url.Values{
		"name": {"db weekly"}, "services": {fmt.Sprint(db.ID), fmt.Sprint(web.ID)}, "matchers": {`env="prod"`},
		"kind": {"weekly"}, "time_zone": {"Europe/Berlin"}, "start": {"2026-03-01T00:00"}, "days": {"sat", "mon"}, "at": {"10:00"}, "duration": {"4h"},
	})
	wantRedirect(t, rec, "/maintenance/1")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Maintenance window db weekly saved: open now") {
		t.Errorf("page after saving:\n%s", excerpt(page))
	}
	w, err := h.db.FindMaintenanceWindow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != "db weekly" || w.Recurrence == nil || fmt.Sprint(w.Recurrence.Weekdays) != "[Monday Saturday]" || w.Recurrence.At != "10:00" ||
		time.Duration(w.Recurrence.Duration) != 4*time.Hour || !w.End.IsZero() || len(w.ServiceIDs) != 2 || w.CreatedBy != "alice" {
		t.Errorf("window after editing = %+v (%+v)", w, w.Recurrence)
	}
	body = h.get("/maintenance/1").Body.String()
	facts = text(section(t, body, "maintenance-facts"))
	for _, want := range []string{"every Mon, Sat at 10:00 for 4h", "open closes Sat 14 Mar 14:00 CET (in 3h 33m), next opens Mon 16 Mar 10:00 CET (in 47h 33m), closing Mon 16 Mar 14:00 CET"} {
		if !strings.Contains(facts, want) {
			t.Errorf("weekly facts lack %q: %s", want, facts)
		}
	}
	if strings.Contains(body, `id="end-window"`) {
		t.Error("a weekly window offers End now")
	}
	for _, want := range []string{`value="weekly" id="maintenance-kind-weekly" checked`, `name="days" value="mon" checked`, `name="days" value="sat" checked`,
		`name="days" value="sun">`, `name="at" type="time" value="10:00"`, `name="duration" value="4h"`} {
		if !strings.Contains(body, want) {
			t.Errorf("weekly edit form lacks %s", want)
		}
	}
	if a, _ := h.db.FindAlertByID(ctx, held.AlertID); a.HeldByWindow == nil || a.IncidentID != 0 {
		t.Errorf("the alert is no longer held after a change that still covers it: %+v", a)
	}
	rec = h.post("/maintenance/1/end", nil)
	wantRedirect(t, rec, "/maintenance/1")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "A weekly window cannot be ended early") {
		t.Errorf("ending a weekly window:\n%s", excerpt(page))
	}

	// Back to one-off, then ended now: the held alert pages.
	rec = h.post("/maintenance/1", url.Values{"name": {"db weekly"}, "services": {fmt.Sprint(db.ID)}, "kind": {"once"}, "time_zone": {"UTC"}, "start": {"2026-03-14T09:00"}, "duration": {"8h"}})
	wantRedirect(t, rec, "/maintenance/1")
	h.clock.Advance(time.Minute)
	rec = h.post("/maintenance/1/end", url.Values{"return": {"list"}})
	wantRedirect(t, rec, "/maintenance")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Maintenance window db weekly ended. The 1 alert it held now page") {
		t.Errorf("page after ending:\n%s", excerpt(page))
	}
	if a, _ := h.db.FindAlertByID(ctx, held.AlertID); a.IncidentID == 0 || a.HeldByWindow != nil {
		t.Errorf("the held alert was not released: %+v", a)
	}
	w, _ = h.db.FindMaintenanceWindow(ctx, 1)
	if w.State != vigil.MaintenanceEnded || !w.End.Equal(h.clock.Now()) {
		t.Errorf("window after ending: %s, end %s", w.State, w.End)
	}
	if body := h.get("/maintenance/1").Body.String(); strings.Contains(body, `id="end-window"`) || !strings.Contains(text(section(t, body, "maintenance-state")), "ended") {
		t.Error("an ended window still offers End now, or does not say it ended")
	}

	// Delete asks first, then deletes.
	rec = h.post("/maintenance/1/delete", nil)
	wantStatus(t, rec, http.StatusOK)
	confirm := text(section(t, rec.Body.String(), "confirm-delete"))
	if !strings.Contains(confirm, "Delete maintenance window db weekly?") || !strings.Contains(confirm, "vigil apply") {
		t.Errorf("confirmation: %s", confirm)
	}
	if len(h.windows()) != 1 {
		t.Fatal("the first step deleted the window")
	}
	rec = h.post("/maintenance/1/delete", url.Values{"confirm": {"yes"}})
	wantRedirect(t, rec, "/maintenance")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Maintenance window db weekly deleted.") {
		t.Errorf("page after deleting:\n%s", excerpt(page))
	}
	if len(h.windows()) != 0 {
		t.Error("the window was not deleted")
	}
	wantStatus(t, h.get("/maintenance/1"), http.StatusNotFound)
	wantStatus(t, h.get("/maintenance/x"), http.StatusNotFound)
	wantStatus(t, h.post("/maintenance/1/delete", url.Values{"confirm": {"yes"}}), http.StatusNotFound)
	rec = h.post("/maintenance/1/end", nil)
	wantRedirect(t, rec, "/maintenance")
}

// TestMaintenanceDeleteReleases: deleting a window that holds an alert
// says so first, and the alert pages.
func TestMaintenanceDeleteReleases(t *testing.T) {
	h := newHarness(t)
	db := h.service("db")
	w := &vigil.MaintenanceWindow{Name: "deploy", ServiceIDs: []int64{db.ID}, Start: h.clock.Now(), End: h.clock.Now().Add(time.Hour)}
	if err := h.db.CreateMaintenanceWindow(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	res := h.send(db, vigil.Event{Summary: "disk", DedupKey: "d"})
	if res.HeldByWindow != w.ID {
		t.Fatalf("not held: %+v", res)
	}
	rec := h.post(fmt.Sprintf("/maintenance/%d/delete", w.ID), nil)
	if c := text(section(t, rec.Body.String(), "confirm-delete")); !strings.Contains(c, "The 1 alert it holds now page at once") {
		t.Errorf("confirmation: %s", c)
	}
	rec = h.post(fmt.Sprintf("/maintenance/%d/delete", w.ID), url.Values{"confirm": {"yes"}})
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "The 1 alert it held now page") {
		t.Errorf("page after deleting:\n%s", excerpt(page))
	}
	if a, _ := h.db.FindAlertByID(context.Background(), res.AlertID); a.IncidentID == 0 {
		t.Errorf("the alert was not released: %+v", a)
	}
}

func TestMaintenanceFormErrors(t *testing.T) {
	h := newHarness(t)
	db := h.service("db")
	good := url.Values{"name": {"deploy"}, "services": {fmt.Sprint(db.ID)}, "kind": {"once"}, "time_zone": {"UTC"}, "duration": {"2h"}}
	weekly := with(good, "kind", "weekly", "at", "22:00", "duration", "4h")
	weekly["days"] = []string{"fri"}
	for _, c := range []struct {
		name  string
		form  url.Values
		input string
		want  string
	}{
		{"no name", with(good, "name", " "), "maintenance-name", "Name: is required"},
		{"covers nothing", with(good, "services", ""), "maintenance-services", "Services: choose services, or give matchers"},
		{"unknown service", with(good, "services", "999"), "maintenance-services", "Services: choose services from the list"},
		{"matcher without operator", with(good, "matchers", "env=\"prod\"\nDiskFull"), "maintenance-matchers", "Matchers: line 2 (DiskFull): end of input: expected an operator"},
		{"matcher with a bad operator", with(good, "matchers", `env~"prod"`), "maintenance-matchers", `Matchers: line 1 (env~"prod"): 3:4: ~: invalid input`},
		{"open quote", with(good, "matchers", `env="prod`), "maintenance-matchers", "Matchers: line 1: a quote is not closed"},
		{"bad regexp", with(good, "matchers", `instance=~"db-("`), "maintenance-matchers", "Matchers: line 1 (instance=~\"db-(\"): failed to create matcher: error parsing regexp"},
		{"bad zone", with(good, "time_zone", "Mars/Olympus"), "maintenance-time-zone", "Time zone: must be an IANA time zone"},
		{"bad start", with(good, "start", "tomorrow"), "maintenance-start", "Start: must be a date and time such as"},
		{"end before start", with(good, "start", "2026-03-14T12:00", "end", "2026-03-14T11:00"), "maintenance-end", "End: must be after the start"},
		{"ended already", with(good, "start", "2026-03-13T12:00", "end", "2026-03-13T13:00"), "maintenance-end", "End: must be in the future"},
		{"bad duration", with(good, "duration", "soon"), "maintenance-duration", "Duration: must be a duration such as 30m"},
		{"no end", with(good, "duration", ""), "maintenance-duration", "Duration: give a duration such as 2h, or an end"},
		{"no kind", with(good, "kind", "monthly"), "maintenance-kind-once", "Repeats: choose once or weekly"},
		{"weekly without days", with(weekly, "days", ""), "maintenance-days", "Days: tick at least one day"},
		{"weekly bad day", with(weekly, "days", "someday"), "maintenance-days", "Days: choose days from the list"},
		{"weekly bad time", with(weekly, "at", "25:00"), "maintenance-at", "At: must be a time of day such as 22:00"},
		{"weekly too long", with(weekly, "duration", "8d"), "maintenance-duration", "Duration: must be at most 7d"},
		{"weekly until before start", with(weekly, "start", "2026-03-14T00:00", "end", "2026-03-13T00:00"), "maintenance-end", "End: must be after start"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post("/maintenance", c.form)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := rec.Body.String()
			noInlineCode(t, body)
			if got := inputError(t, body, c.input); !strings.Contains(got, c.want) {
				t.Errorf("error next to %s = %q, want %q\n%s", c.input, got, c.want, excerpt(text(section(t, body, "maintenance-form"))))
			}
			if m := strings.TrimSpace(c.form.Get("matchers")); m != "" && !strings.Contains(body, html.EscapeString(m)) {
				t.Error("the matchers typed are not kept")
			}
			if n := len(h.windows()); n != 0 {
				t.Fatalf("a refused form stored %d windows", n)
			}
		})
	}
	// A name taken is a conflict, next to the name.
	wantRedirect(t, h.post("/maintenance", good), "/maintenance/1")
	rec := h.post("/maintenance", good)
	wantStatus(t, rec, http.StatusConflict)
	if got := inputError(t, rec.Body.String(), "maintenance-name"); !strings.Contains(got, "Name: a maintenance window with this name already exists") {
		t.Errorf("name taken: %q", got)
	}
	// Editing with errors shows the window's page again, unchanged.
	rec = h.post("/maintenance/1", with(good, "matchers", "nonsense", "duration", "x"))
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := rec.Body.String()
	if !strings.Contains(inputError(t, body, "maintenance-matchers"), "expected an operator") || !strings.Contains(inputError(t, body, "maintenance-duration"), "must be a duration") {
		t.Errorf("edit errors: %s", excerpt(text(section(t, body, "maintenance-form"))))
	}
	if ws := h.windows(); len(ws) != 1 || len(ws[0].Matchers) != 0 {
		t.Errorf("a refused edit changed the window: %+v", ws)
	}
	// An ended window can still be renamed.
	h.clock.Advance(3 * time.Hour)
	rec = h.post("/maintenance/1", with(good, "name", "deploy (done)", "start", "2026-03-14T09:26:53", "end", "2026-03-14T11:26:53"))
	wantRedirect(t, rec, "/maintenance/1")
	if page := text(h.follow(rec).Body.String()); !strings.Contains(page, "Maintenance window deploy (done) saved: it will not open again.") {
		t.Errorf("renaming an ended window:\n%s", excerpt(page))
	}
	wantStatus(t, h.post("/maintenance/99", good), http.StatusNotFound)
}

// TestMaintenanceEscaping: names, matchers and services with markup are
// shown as text on the list, the page, the held rows and the confirmation.
func TestMaintenanceEscaping(t *testing.T) {
	h := newHarness(t)
	svc := h.service(xssName)
	rec := h.post("/maintenance", url.Values{"name": {xssName}, "services": {fmt.Sprint(svc.ID)}, "matchers": {`note="` + xssName + `"`},
		"kind": {"once"}, "time_zone": {"UTC"}, "duration": {"1h"}})
	wantRedirect(t, rec, "/maintenance/1")
	noRawXSS(t, h.follow(rec).Body.String())
	h.send(svc, vigil.Event{Summary: xssName, DedupKey: "x", Labels: map[string]string{"note": xssName}})
	for _, p := range []string{"/maintenance", "/maintenance/1"} {
		body := h.get(p).Body.String()
		noRawXSS(t, body)
		noInlineCode(t, body)
		if !strings.Contains(body, `id="held-alert-`) {
			t.Errorf("%s lists no held alert", p)
		}
	}
	rec = h.post("/maintenance/1/delete", nil)
	noRawXSS(t, rec.Body.String())
	rec = h.post("/maintenance", url.Values{"name": {xssName}, "matchers": {xssName}, "kind": {"once"}, "duration": {"1h"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	noRawXSS(t, rec.Body.String())
}

// TestHoldPagesNeedSessionAndSameSite: the maintenance and inhibition
// pages need a session, and every POST is refused from another site or
// without a session, changing nothing.
func TestHoldPagesNeedSessionAndSameSite(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	db := h.service("db")
	w := &vigil.MaintenanceWindow{Name: "deploy", ServiceIDs: []int64{db.ID}, Start: h.clock.Now().Add(-time.Minute), End: h.clock.Now().Add(time.Hour)}
	if err := h.db.CreateMaintenanceWindow(ctx, w); err != nil {
		t.Fatal(err)
	}
	rule := &vigil.InhibitRule{Name: "crit mutes warn", Source: []string{`severity="critical"`}, Target: []string{`severity="warning"`}}
	if err := h.db.CreateInhibitRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/maintenance", "/maintenance/1", "/inhibit-rules", "/inhibit-rules/1"} {
		wantStatus(t, h.get(p), http.StatusOK)
		wantRedirect(t, h.do(req{path: p}), "/login")
	}
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	window := url.Values{"name": {"pwned"}, "services": {fmt.Sprint(db.ID)}, "kind": {"once"}, "duration": {"100d"}}
	muteAll := url.Values{"name": {"pwned"}, "source": {`alertname=~".+"`}, "target": {`alertname=~".+"`}}
	confirm := url.Values{"confirm": {"yes"}}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/maintenance", window},
		{"/maintenance/1", window},
		{"/maintenance/1/end", url.Values{}},
		{"/maintenance/1/delete", confirm},
		{"/inhibit-rules", muteAll},
		{"/inhibit-rules/1", muteAll},
		{"/inhibit-rules/1/delete", confirm},
	} {
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: evil}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", p.path, rec.Code)
		}
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form}); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s signed out: %d, want 401", p.path, rec.Code)
		}
	}
	if ws := h.windows(); len(ws) != 1 || ws[0].Name != "deploy" || ws[0].State != vigil.MaintenanceOpen {
		t.Errorf("after refused requests the windows are %+v", ws)
	}
	if rs := h.rules(); len(rs) != 1 || rs[0].Name != "crit mutes warn" {
		t.Errorf("after refused requests the rules are %+v", rs)
	}
}
