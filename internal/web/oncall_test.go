package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// xssName is a person's name that must show as text on every page.
const xssName = `<script>alert(1)</script>`

// The harness clock reads 2026-03-14 09:26:53 UTC, a Saturday: 10:26 in
// Berlin (CET, UTC+1).
var berlin = mustZone("Europe/Berlin")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func (h *harness) user(name, email string) *vigil.User {
	h.t.Helper()
	u := &vigil.User{Name: name, Email: email}
	if err := h.db.CreateUser(context.Background(), u); err != nil {
		h.t.Fatalf("CreateUser(%q): %v", name, err)
	}
	return u
}

// rotation creates a Berlin schedule whose weekly rotation hands over on
// Mondays at 09:00: members[0] has the week of 9 March, members[1] the
// week of 16 March.
func (h *harness) rotation(name string, members ...int64) *vigil.Schedule {
	h.t.Helper()
	s := &vigil.Schedule{Name: name, TimeZone: "Europe/Berlin", Layers: []vigil.Layer{{
		Name: "primary", Start: time.Date(2026, 3, 9, 9, 0, 0, 0, berlin),
		TurnUnit: vigil.UnitWeek, TurnCount: 1, Members: members,
	}}}
	if err := h.db.CreateSchedule(context.Background(), s); err != nil {
		h.t.Fatalf("CreateSchedule: %v", err)
	}
	return s
}

// follow requests a redirect's target with the flash cookie it set.
func (h *harness) follow(rec *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	h.t.Helper()
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || loc == "" {
		h.t.Fatalf("not a redirect: %d\n%s", rec.Code, excerpt(rec.Body.String()))
	}
	return h.do(req{path: loc, signed: true, cookies: rec.Result().Cookies()})
}

// text is the page's text content without tags, whitespace collapsed.
func text(body string) string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(body, " ")
	s = strings.Join(strings.Fields(html.UnescapeString(s)), " ")
	return strings.NewReplacer(" ,", ",", " .", ".").Replace(s)
}

// section returns the HTML of the element with this id, up to its end tag.
func section(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element with id %q in:\n%s", id, excerpt(body))
	}
	start := strings.LastIndex(body[:i], "<")
	tag := regexp.MustCompile(`^<([a-z0-9]+)`).FindStringSubmatch(body[start:])[1]
	end := strings.Index(body[start:], "</"+tag+">")
	if end < 0 {
		return body[start:]
	}
	return body[start : start+end]
}

func noInlineCode(t *testing.T, body string) {
	t.Helper()
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=`).MatchString(body) {
		t.Errorf("page has inline script or style:\n%s", excerpt(body))
	}
}

func noRawXSS(t *testing.T, body string) {
	t.Helper()
	if strings.Contains(body, xssName) || strings.Contains(body, "<script>alert") {
		t.Errorf("page contains the unescaped name %q", xssName)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("page does not show the escaped name")
	}
}

func TestSchedulePages(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	s := h.rotation("Primary <b>db</b>", ana.ID, ben.ID)
	// Ben covers Wednesday evening.
	ov := &vigil.Override{ScheduleID: s.ID, UserID: ben.ID,
		Start: time.Date(2026, 3, 18, 18, 0, 0, 0, berlin), End: time.Date(2026, 3, 18, 22, 0, 0, 0, berlin)}
	if err := h.db.CreateOverride(ctx, ov); err != nil {
		t.Fatal(err)
	}

	rec := h.get("/schedules")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if strings.Contains(body, "<b>db") {
		t.Error("schedule name not escaped")
	}
	row := text(section(t, body, fmt.Sprintf("schedule-%d", s.ID)))
	if !strings.Contains(row, "Primary <b>db</b>") || !strings.Contains(row, xssName) || !strings.Contains(row, "Europe/Berlin") {
		t.Errorf("schedule row = %q, want its name, Ana on call and the zone", row)
	}
	if !strings.Contains(body, `aria-current="page">Schedules`) {
		t.Error("the Schedules menu entry is not highlighted")
	}

	page := fmt.Sprintf("/schedules/%d", s.ID)
	rec = h.get(page)
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if now := text(section(t, body, "on-call-now")); !strings.Contains(now, xssName) || !strings.Contains(now, "until Mon 16 Mar 09:00 CET") {
		t.Errorf("on call now = %q, want Ana until Monday 09:00 CET", now)
	}
	if next := text(section(t, body, "on-call-next")); !strings.Contains(next, "Ben") || !strings.Contains(next, "Mon 16 Mar 09:00 CET") {
		t.Errorf("next = %q", next)
	}
	// Today and 14 more days, each a bar.
	if n := strings.Count(body, `<tr class="day`); n != 15 {
		t.Errorf("%d day rows, want 15", n)
	}
	if !strings.Contains(body, `<th scope="row">Sat 14 Mar</th>`) || !strings.Contains(body, `<th scope="row">Sat 28 Mar</th>`) {
		t.Error("the timeline does not run from today to two weeks ahead")
	}
	// Now (10:26:53 local) is marked on today's bar.
	if !strings.Contains(body, `<line class="now" x1="37613"`) {
		t.Error("now is not marked on today's bar")
	}
	// The override is drawn distinctly: 18:00 to 22:00 on Wednesday.
	if !strings.Contains(body, `class="seg c1 ov" x="64800" y="0" width="14400"`) {
		t.Errorf("override segment missing:\n%s", excerpt(section(t, body, "timeline")))
	}
	shifts := text(section(t, body, "timeline"))
	for _, want := range []string{
		"Ben Wed 18 Mar 18:00 CET Wed 18 Mar 22:00 CET override",
		"Ben Mon 16 Mar 09:00 CET Wed 18 Mar 18:00 CET",
		"Ben Wed 18 Mar 22:00 CET Mon 23 Mar 09:00 CET",
	} {
		if !strings.Contains(shifts, want) {
			t.Errorf("shift list lacks %q:\n%s", want, shifts)
		}
	}
	if !strings.Contains(shifts, xssName+" Mon 23 Mar 09:00 CET after the next 14 days") {
		t.Errorf("shift list lacks Ana's return after Ben's week")
	}
	overrides := section(t, body, "overrides")
	if !strings.Contains(text(overrides), "Ben Wed 18 Mar 18:00 CET Wed 18 Mar 22:00 CET") ||
		!strings.Contains(overrides, fmt.Sprintf(`action="%s/overrides/%d/delete"`, page, ov.ID)) {
		t.Errorf("the override is not listed with a delete button:\n%s", overrides)
	}
	wantFeedURL(t, h, body, signed.FeedSchedule, s.ID)
	// The form starts now, in the schedule's zone.
	if !strings.Contains(body, `name="start" type="datetime-local" value="2026-03-14T10:26"`) {
		t.Error("the override form does not start now in Berlin time")
	}

	wantStatus(t, h.get("/schedules/987654"), http.StatusNotFound)
	wantStatus(t, h.get("/schedules/x"), http.StatusNotFound)

	// A week later the timeline reaches 29 March, when Berlin moves to
	// summer time: a 23-hour bar, and times in CEST after it.
	h.clock.Advance(7 * 24 * time.Hour)
	body = h.get(page).Body.String()
	day := section(t, body, "timeline")
	if !regexp.MustCompile(`<th scope="row">Sun 29 Mar</th>\s*<td class="bar"><svg viewBox="0 0 82800 24"`).MatchString(day) {
		t.Error("the DST day is not drawn 23 hours long")
	}
	if !strings.Contains(text(day), "Ben Mon 30 Mar 09:00 CEST") {
		t.Errorf("no handoff at 09:00 summer time: %s", text(day))
	}
}

func TestOverrideForm(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user("Ana", "ana@example.com")
	ben := h.user(xssName, "ben@example.com")
	s := h.rotation("primary", ana.ID, ben.ID)
	page := fmt.Sprintf("/schedules/%d", s.ID)
	all := func() []*vigil.Override {
		t.Helper()
		list, err := h.db.ListOverrides(ctx, s.ID, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	bad := []struct {
		name  string
		form  url.Values
		input string // the id of the input the error is next to
		msg   string
	}{
		{"end before start", url.Values{"user_id": {fmt.Sprint(ben.ID)}, "start": {"2026-03-14T12:00"}, "end": {"2026-03-14T11:00"}},
			"override-end", "End: must be after start"},
		{"unknown user", url.Values{"user_id": {"987654"}, "start": {"2026-03-14T12:00"}, "end": {"2026-03-14T14:00"}},
			"override-user", "Person: user 987654 does not exist"},
		{"no user", url.Values{"user_id": {""}, "start": {"2026-03-14T12:00"}, "end": {"2026-03-14T14:00"}},
			"override-user", "Person: choose who goes on call"},
		{"not a time", url.Values{"user_id": {fmt.Sprint(ben.ID)}, "start": {"tomorrow"}, "end": {"2026-03-14T14:00"}},
			"override-start", "Start: must be a date and time"},
		{"no end", url.Values{"user_id": {fmt.Sprint(ben.ID)}, "start": {"2026-03-14T12:00"}},
			"override-end", "End: is required"},
		{"too long", url.Values{"user_id": {fmt.Sprint(ben.ID)}, "start": {"2026-03-14T12:00"}, "end": {"2027-03-20T12:00"}},
			"override-end", "End: an override may last at most 366 days"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post(page+"/overrides", c.form)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := rec.Body.String()
			if !errorNextTo(body, c.input) {
				t.Errorf("error not next to %s:\n%s", c.input, excerpt(section(t, body, "override-form")))
			}
			if !strings.Contains(body, c.msg) {
				t.Errorf("page lacks %q", c.msg)
			}
			// The form keeps what was typed.
			if v := c.form.Get("start"); v != "" && !strings.Contains(body, `value="`+v+`"`) {
				t.Errorf("the form lost the start %q", v)
			}
			noRawXSS(t, body)
		})
	}
	if n := len(all()); n != 0 {
		t.Fatalf("%d overrides stored by refused forms", n)
	}
	wantStatus(t, h.post("/schedules/987654/overrides", url.Values{"user_id": {fmt.Sprint(ben.ID)}, "start": {"2026-03-14T12:00"}, "end": {"2026-03-14T14:00"}}),
		http.StatusNotFound)

	// Ben takes over from now (10:26 Berlin) until 14:00 Berlin.
	rec := h.post(page+"/overrides", url.Values{"user_id": {fmt.Sprint(ben.ID)}, "start": {"2026-03-14T10:26"}, "end": {"2026-03-14T14:00"}})
	wantRedirect(t, rec, page)
	list := all()
	if len(list) != 1 {
		t.Fatalf("%d overrides, want 1", len(list))
	}
	o := list[0]
	if o.UserID != ben.ID || !o.Start.Equal(time.Date(2026, 3, 14, 9, 26, 0, 0, time.UTC)) || !o.End.Equal(time.Date(2026, 3, 14, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("stored override = %+v, want Ben 09:26–13:00 UTC", o)
	}
	body := h.follow(rec).Body.String()
	if flash := text(section(t, body, "on-call")); !strings.Contains(flash, xssName+" override") {
		t.Errorf("on call now = %q, want Ben by override", flash)
	}
	if !strings.Contains(body, `class="flash flash-ok"`) || !strings.Contains(body, "is on call from Sat 14 Mar 10:26 CET to Sat 14 Mar 14:00 CET") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	noRawXSS(t, body)

	// Deleting it puts Ana back; deleting it again says it is gone.
	del := fmt.Sprintf("%s/overrides/%d/delete", page, o.ID)
	rec = h.post(del, nil)
	wantRedirect(t, rec, page)
	if n := len(all()); n != 0 {
		t.Fatalf("%d overrides after delete", n)
	}
	body = h.follow(rec).Body.String()
	if now := text(section(t, body, "on-call-now")); !strings.Contains(now, "Ana") || strings.Contains(now, "override") {
		t.Errorf("on call after delete = %q", now)
	}
	rec = h.post(del, nil)
	wantRedirect(t, rec, page)
	if body := h.follow(rec).Body.String(); !strings.Contains(body, "flash-error") {
		t.Error("deleting a deleted override is not reported")
	}
	// Another schedule's override cannot be deleted through this one.
	other := h.rotation("secondary", ana.ID)
	ov := &vigil.Override{ScheduleID: other.ID, UserID: ben.ID, Start: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)}
	if err := h.db.CreateOverride(ctx, ov); err != nil {
		t.Fatal(err)
	}
	h.post(fmt.Sprintf("%s/overrides/%d/delete", page, ov.ID), nil)
	if l, _ := h.db.ListOverrides(ctx, other.ID, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); len(l) != 1 {
		t.Error("another schedule's override was deleted")
	}
}

func TestPolicyEditor(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	s := h.rotation("primary", ana.ID, ben.ID)
	team := &vigil.Team{Name: "DBA", Members: []int64{ana.ID, ben.ID}}
	if err := h.db.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	sched, user, tm := fmt.Sprintf("schedule:%d", s.ID), fmt.Sprintf("user:%d", ben.ID), fmt.Sprintf("team:%d", team.ID)

	body := h.get("/escalation-policies").Body.String()
	noInlineCode(t, body)
	for _, want := range []string{`name="steps.0.targets"`, `name="steps.2.delay"`, `<option value="` + sched + `">primary</option>`, `<option value="` + tm + `">DBA</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("new policy form lacks %s", want)
		}
	}
	noRawXSS(t, body) // Ana is a choice of the targets select

	rec := h.post("/escalation-policies", url.Values{
		"name": {"Database"}, "description": {"pages the DBAs"}, "repeat": {"2"},
		"steps.0.delay": {"10"}, "steps.0.targets": {sched, user},
		"steps.1.delay": {""}, // blank row between steps: ignored
		"steps.2.delay": {"30"}, "steps.2.targets": {tm},
	})
	wantStatus(t, rec, http.StatusSeeOther)
	policies, err := h.db.ListEscalationPolicies(ctx)
	if err != nil || len(policies) != 1 {
		t.Fatalf("ListEscalationPolicies: %d %v", len(policies), err)
	}
	p := policies[0]
	page := fmt.Sprintf("/escalation-policies/%d", p.ID)
	wantRedirect(t, rec, page)
	if p.Name != "Database" || p.Description != "pages the DBAs" || p.Repeat != 2 || len(p.Steps) != 2 ||
		time.Duration(p.Steps[0].Delay) != 10*time.Minute || time.Duration(p.Steps[1].Delay) != 30*time.Minute ||
		len(p.Steps[0].Targets) != 2 || p.Steps[0].Targets[0] != (vigil.Target{Type: vigil.TargetSchedule, ID: s.ID}) ||
		p.Steps[0].Targets[1] != (vigil.Target{Type: vigil.TargetUser, ID: ben.ID}) ||
		p.Steps[1].Targets[0] != (vigil.Target{Type: vigil.TargetTeam, ID: team.ID}) {
		t.Fatalf("created policy = %+v", p)
	}

	rec = h.follow(rec)
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noInlineCode(t, body)
	if !strings.Contains(body, "Escalation policy Database created.") {
		t.Error("no confirmation")
	}
	if st := text(section(t, body, "steps")); !strings.Contains(st, "1 Page primary, Ben, then after 10 min go on.") ||
		!strings.Contains(st, "2 Page DBA, then after 30 min start over.") {
		t.Errorf("steps = %q", st)
	}
	// The editor holds the two steps and two blank rows.
	for _, want := range []string{`value="` + sched + `" selected`, `value="` + tm + `" selected`, `id="step-3-delay"`, `id="step-1-delay" name="steps.1.delay" type="number" min="0" max="1440" step="any" value="30"`} {
		if !strings.Contains(body, want) {
			t.Errorf("editor lacks %s", want)
		}
	}
	if strings.Contains(body, `id="step-4-delay"`) {
		t.Error("editor has more than two blank rows")
	}
	listBody := h.get("/escalation-policies").Body.String()
	if row := text(section(t, listBody, fmt.Sprintf("policy-%d", p.ID))); !strings.Contains(row, "Database primary, Ben 2 2") {
		t.Errorf("list row = %q", row)
	}

	// A step time window set through the API survives an edit in the UI.
	cond := &vigil.StepCondition{TimeZone: "Europe/Berlin", Weekdays: []time.Weekday{time.Monday}, Start: 9 * 60, End: 17 * 60}
	p.Steps[1].Condition = cond
	if err := h.db.UpdateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	if body := h.get(page).Body.String(); !strings.Contains(body, "only Mon, 09:00–17:00 (Europe/Berlin)") {
		t.Error("the step condition is not shown")
	}
	// Edit: rename, drop the repeat, page Ana first and keep step 2.
	rec = h.post(page, url.Values{
		"name": {"Database team"}, "description": {""}, "repeat": {"0"},
		"steps.0.delay": {"5"}, "steps.0.targets": {fmt.Sprintf("user:%d", ana.ID)},
		"steps.1.delay": {"0"}, "steps.1.targets": {tm},
		"steps.2.delay": {""}, "steps.3.delay": {""},
	})
	wantRedirect(t, rec, page)
	got, err := h.db.FindEscalationPolicy(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Database team" || got.Repeat != 0 || len(got.Steps) != 2 || time.Duration(got.Steps[0].Delay) != 5*time.Minute ||
		got.Steps[0].Targets[0] != (vigil.Target{Type: vigil.TargetUser, ID: ana.ID}) || len(got.Steps[0].Targets) != 1 {
		t.Fatalf("edited policy = %+v", got)
	}
	if c := got.Steps[1].Condition; c == nil || c.TimeZone != "Europe/Berlin" || c.Start != 9*60 || len(c.Weekdays) != 1 {
		t.Errorf("the step condition was lost: %+v", c)
	}
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	if !strings.Contains(body, "Escalation policy Database team saved.") {
		t.Error("no confirmation of the edit")
	}

	// Refused forms show the error next to the input, naming it, never a 500.
	other := &vigil.EscalationPolicy{Name: "Other", Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetUser, ID: ben.ID}}}}}
	if err := h.db.CreateEscalationPolicy(ctx, other); err != nil {
		t.Fatal(err)
	}
	step := func(extra ...string) url.Values {
		v := url.Values{"name": {"New"}, "repeat": {"0"}, "steps.0.delay": {"5"}, "steps.0.targets": {user}, "steps.1.delay": {""}}
		for i := 0; i+1 < len(extra); i += 2 {
			v[extra[i]] = []string{extra[i+1]}
		}
		return v
	}
	for _, c := range []struct {
		name   string
		path   string
		form   url.Values
		status int
		input  string
		msg    string
	}{
		{"no name", "/escalation-policies", step("name", ""), 422, "policy-name", "Name: must be 1 to 255 bytes"},
		{"taken name", "/escalation-policies", step("name", "Other"), 409, "policy-name", "Name: an escalation policy with this name already exists"},
		{"taken name on edit", page, step("name", "Other"), 409, "policy-name", "Name: an escalation policy with this name already exists"},
		{"bad repeat", "/escalation-policies", step("repeat", "often"), 422, "policy-repeat", "Repeat: must be a whole number"},
		{"repeat too high", page, step("repeat", "12"), 422, "policy-repeat", "Repeat: must be between 0 and 9"},
		{"no steps", "/escalation-policies", step("steps.0.delay", "", "steps.0.targets", ""), 422, "policy-steps", "Steps: must have 1 to 20 steps"},
		{"bad delay", "/escalation-policies", step("steps.0.delay", "soon"), 422, "step-0-delay", "Step 1 delay: must be a number of minutes"},
		{"delay too long", page, step("steps.0.delay", "2000"), 422, "step-0-delay", "Step 1 delay: must be a number of minutes from 0 to 1440"},
		{"no targets", "/escalation-policies", step("steps.1.delay", "5"), 422, "step-1-targets", "Step 2 targets: must have 1 to 50 targets"},
		{"no wait before the next step", page, step("steps.0.delay", "0", "steps.1.delay", "5", "steps.1.targets", tm), 422, "step-0-delay", "Step 1 delay: must be at least 1m"},
		// The store's step index (1) is mapped back to the form's row (2).
		{"unknown target", "/escalation-policies", step("steps.2.delay", "5", "steps.2.targets", "user:987654"), 422, "step-2-targets", "Step 3 targets: user 987654 does not exist"},
		{"bad target type", page, step("steps.0.targets", "robot:1"), 422, "step-0-targets", "Step 1 targets:"},
		{"garbled target", page, step("steps.0.targets", "user:x"), 422, "step-0-targets", "Step 1 targets:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post(c.path, c.form)
			wantStatus(t, rec, c.status)
			body := rec.Body.String()
			if c.input == "policy-steps" {
				if !strings.Contains(section(t, body, "policy-steps"), `<p class="field-error">`+c.msg) {
					t.Errorf("no steps error:\n%s", excerpt(section(t, body, "policy-steps")))
				}
			} else if !errorNextTo(body, c.input) {
				t.Errorf("error not next to %s:\n%s", c.input, excerpt(section(t, body, "policy-form")))
			}
			if !strings.Contains(body, c.msg) {
				t.Errorf("page lacks %q:\n%s", c.msg, excerpt(section(t, body, "policy-form")))
			}
			if c.form.Get("name") != "" && !strings.Contains(body, `value="`+c.form.Get("name")+`"`) {
				t.Error("the form lost the name")
			}
		})
	}
	if list, _ := h.db.ListEscalationPolicies(ctx); len(list) != 2 {
		t.Errorf("%d policies after refused forms, want 2", len(list))
	}
	if got2, _ := h.db.FindEscalationPolicy(ctx, p.ID); got2.Name != "Database team" || !got2.UpdatedAt.Equal(got.UpdatedAt) {
		t.Errorf("a refused edit changed the policy: %+v", got2)
	}
	wantStatus(t, h.get("/escalation-policies/987654"), http.StatusNotFound)
	wantStatus(t, h.post("/escalation-policies/987654", step()), http.StatusNotFound)
}

func TestUserPagesAndTestNotification(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	hook := &vigil.ContactMethod{UserID: ana.ID, Name: "pager <i>hook</i>", Type: vigil.ContactWebhook, Address: "https://hooks.example/secret-token-123"}
	sms := &vigil.ContactMethod{UserID: ana.ID, Type: vigil.ContactSMS, Address: "+4915112345678", Disabled: true}
	bens := &vigil.ContactMethod{UserID: ben.ID, Type: vigil.ContactEmail, Address: "ben@example.com"}
	for _, m := range []*vigil.ContactMethod{hook, sms, bens} {
		if err := h.db.CreateContactMethod(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.db.CreateNotificationRule(ctx, &vigil.NotificationRule{UserID: ana.ID, ContactMethodID: hook.ID, Delay: vigil.Duration(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	body := h.get("/users").Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if !strings.Contains(body, fmt.Sprintf(`href="/users/%d"`, ben.ID)) || !strings.Contains(body, "ben@example.com") {
		t.Error("Ben is not listed")
	}

	page := fmt.Sprintf("/users/%d", ana.ID)
	body = h.get(page).Body.String()
	wantFeedURL(t, h, body, signed.FeedUser, ana.ID)
	noRawXSS(t, body)
	noInlineCode(t, body)
	if strings.Contains(body, "secret-token-123") || strings.Contains(body, "12345678") {
		t.Error("a contact address is shown unmasked")
	}
	methods := text(section(t, body, "contact-methods"))
	for _, want := range []string{"pager <i>hook</i> webhook https://hooks.example/… enabled", "sms sms ••••••••••5678 disabled"} {
		if !strings.Contains(methods, want) {
			t.Errorf("contact methods lack %q: %s", want, methods)
		}
	}
	if strings.Contains(body, "<i>hook") {
		t.Error("a contact method name is not escaped")
	}
	if rules := text(section(t, body, "notification-rules")); !strings.Contains(rules, "after 5m0s: pager <i>hook</i> (webhook)") {
		t.Errorf("rules = %q", rules)
	}
	testURL := fmt.Sprintf("%s/contact-methods/%d/test", page, hook.ID)
	if !strings.Contains(body, `action="`+testURL+`"`) || strings.Count(body, "Send test notification") != 2 {
		t.Error("no test button per contact method")
	}

	rec := h.post(testURL, nil)
	wantRedirect(t, rec, page)
	list, err := h.db.FindNotifications(ctx, vigil.NotificationFilter{UserID: &ana.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d notifications, want 1", len(list))
	}
	n := list[0]
	if n.Kind != vigil.MessageTest || n.Title != "Test notification from Vigil" || n.ContactMethodID != hook.ID || n.DestType != vigil.ContactWebhook ||
		n.DestAddress != hook.Address || n.Status != vigil.NotificationPending || n.IncidentID != 0 {
		t.Errorf("queued = %+v", n)
	}
	body = h.follow(rec).Body.String()
	if flash := text(section(t, body, "contact-methods")); flash == "" {
		t.Fatal("no contact methods after the test")
	}
	if !strings.Contains(strings.ToLower(body), "test notification queued") {
		t.Errorf("no flash:\n%s", excerpt(body))
	}
	if log := text(section(t, body, "notifications")); !strings.Contains(log, "test") || !strings.Contains(log, "pending") || strings.Contains(body, "secret-token-123") {
		t.Errorf("the notification log = %q", log)
	}

	// A disabled method can be tested; another person's method cannot be
	// tested through this page.
	wantRedirect(t, h.post(fmt.Sprintf("%s/contact-methods/%d/test", page, sms.ID), nil), page)
	wantStatus(t, h.post(fmt.Sprintf("%s/contact-methods/%d/test", page, bens.ID), nil), http.StatusNotFound)
	wantStatus(t, h.post(fmt.Sprintf("%s/contact-methods/987654/test", page), nil), http.StatusNotFound)
	if list, _ := h.db.FindNotifications(ctx, vigil.NotificationFilter{}); len(list) != 2 {
		t.Errorf("%d notifications, want 2", len(list))
	}
	wantStatus(t, h.get("/users/987654"), http.StatusNotFound)
}

func TestIncidentNotificationLog(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	s := h.service("checkout")
	inc := h.trigger(s, vigil.Event{Summary: "checkout down"})
	other := h.trigger(h.service("search"), vigil.Event{Summary: "other"})
	queue := func(incidentID int64, typ, addr string) *vigil.Notification {
		t.Helper()
		n := &vigil.Notification{IncidentID: incidentID, Kind: vigil.MessagePage, UserID: ana.ID, DestType: typ, DestAddress: addr, Title: "checkout down"}
		if err := h.db.CreateNotifications(ctx, n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	failed := queue(inc.ID, vigil.ContactWebhook, "https://hooks.example/secret-token-123")
	claimed, err := h.db.ClaimNotifications(ctx, "r1", 10, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %d %v", len(claimed), err)
	}
	h.clock.Advance(3 * time.Second)
	if err := h.db.CompleteNotification(ctx, failed.ID, "r1", vigil.Outcome{Error: "webhook answered 410 <Gone>"}); err != nil {
		t.Fatal(err)
	}
	pending := queue(inc.ID, vigil.ContactSMS, "+4915112345678")
	queue(other.ID, vigil.ContactEmail, "elsewhere@example.com")

	page := fmt.Sprintf("/incidents/%d", inc.ID)
	body := h.get(page).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	log := section(t, body, "notifications")
	if !strings.Contains(log, fmt.Sprintf(`hx-get="%s/notifications" hx-trigger="every 5s"`, page)) {
		t.Error("the notification log is not refreshed live")
	}
	rows := text(log)
	for _, want := range []string{
		"page " + xssName + " sms ••••••••••5678 pending 0",
		"page " + xssName + " webhook https://hooks.example/… failed 1 webhook answered 410 <Gone>",
	} {
		if !strings.Contains(rows, want) {
			t.Errorf("log lacks %q:\n%s", want, rows)
		}
	}
	if strings.Index(rows, "pending") > strings.Index(rows, "failed") {
		t.Error("the log is not newest first")
	}
	if strings.Contains(body, "secret-token-123") || strings.Contains(body, "12345678") || strings.Contains(body, "elsewhere@") {
		t.Error("the log shows a secret address or another incident's message")
	}
	if strings.Contains(body, "<Gone>") {
		t.Error("the error text is not escaped")
	}
	if !strings.Contains(log, fmt.Sprintf(`id="notification-%d"`, pending.ID)) {
		t.Error("rows carry no id")
	}

	// The live refresh answers the log alone.
	rec := h.do(req{path: page + "/notifications", signed: true, headers: map[string]string{"HX-Request": "true"}})
	wantStatus(t, rec, http.StatusOK)
	frag := rec.Body.String()
	if strings.Contains(frag, "<html") || !strings.Contains(frag, "failed") || !strings.Contains(frag, "pending") {
		t.Errorf("fragment:\n%s", excerpt(frag))
	}
	if rec.Header().Get("Content-Security-Policy") == "" {
		t.Error("the fragment has no CSP")
	}
	wantStatus(t, h.get("/incidents/987654/notifications"), http.StatusNotFound)
	if r := h.do(req{path: page + "/notifications", headers: map[string]string{"HX-Request": "true"}}); r.Code != http.StatusUnauthorized || r.Header().Get("HX-Redirect") != "/login" {
		t.Errorf("signed out refresh: %d %q", r.Code, r.Header().Get("HX-Redirect"))
	}

	// An incident without messages says so.
	if body := h.get(fmt.Sprintf("/incidents/%d", h.trigger(h.service("quiet"), vigil.Event{Summary: "quiet"}).ID)).Body.String(); !strings.Contains(section(t, body, "notifications"), "No notifications.") {
		t.Error("an empty log is not explained")
	}
}

func TestOnCallPagesNeedSessionAndSameSite(t *testing.T) {
	h := newHarness(t)
	ana := h.user("Ana", "ana@example.com")
	s := h.rotation("primary", ana.ID)
	m := &vigil.ContactMethod{UserID: ana.ID, Type: vigil.ContactEmail, Address: "ana@example.com"}
	if err := h.db.CreateContactMethod(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/schedules", fmt.Sprintf("/schedules/%d", s.ID), "/escalation-policies", "/users", fmt.Sprintf("/users/%d", ana.ID), "/groups"} {
		wantStatus(t, h.get(p), http.StatusOK)
		wantRedirect(t, h.do(req{path: p}), "/login")
	}
	body := h.get("/users").Body.String()
	for _, nav := range []string{`href="/schedules"`, `href="/escalation-policies"`, `href="/users" aria-current="page"`} {
		if !strings.Contains(body, nav) {
			t.Errorf("menu lacks %s", nav)
		}
	}
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/schedules/%d/overrides", s.ID), url.Values{"user_id": {fmt.Sprint(ana.ID)}, "start": {"2026-03-14T12:00"}, "end": {"2026-03-14T14:00"}}},
		{fmt.Sprintf("/schedules/%d/overrides/1/delete", s.ID), url.Values{}},
		{"/escalation-policies", url.Values{"name": {"pwned"}, "steps.0.delay": {"1"}, "steps.0.targets": {fmt.Sprintf("user:%d", ana.ID)}}},
		{fmt.Sprintf("/users/%d/contact-methods/%d/test", ana.ID, m.ID), url.Values{}},
		// Editing people, teams and schedules (oncall_forms_test.go checks
		// that none of these changed anything).
		{"/users", url.Values{"name": {"pwned"}, "email": {"pwned@example.com"}}},
		{fmt.Sprintf("/users/%d", ana.ID), url.Values{"name": {"pwned"}, "email": {"ana@example.com"}}},
		{fmt.Sprintf("/users/%d/delete", ana.ID), url.Values{"confirm": {"yes"}}},
		{fmt.Sprintf("/users/%d/contact-methods", ana.ID), url.Values{"type": {"webhook"}, "address": {"https://evil.example/"}}},
		{fmt.Sprintf("/users/%d/contact-methods/%d/enable", ana.ID, m.ID), url.Values{}},
		{fmt.Sprintf("/users/%d/contact-methods/%d/disable", ana.ID, m.ID), url.Values{}},
		{fmt.Sprintf("/users/%d/contact-methods/%d/delete", ana.ID, m.ID), url.Values{}},
		{fmt.Sprintf("/users/%d/notification-rules", ana.ID), url.Values{"contact_method_id": {fmt.Sprint(m.ID)}, "delay": {"0"}}},
		{fmt.Sprintf("/users/%d/notification-rules/1/delete", ana.ID), url.Values{}},
		{fmt.Sprintf("/users/%d/identities/1/unlink", ana.ID), url.Values{"confirm": {"yes"}}},
		{"/teams", url.Values{"name": {"pwned"}}},
		{"/teams/1", url.Values{"name": {"pwned"}}},
		{"/teams/1/delete", url.Values{"confirm": {"yes"}}},
		{"/schedules", url.Values{"name": {"pwned"}, "time_zone": {"UTC"}}},
		{fmt.Sprintf("/schedules/%d", s.ID), url.Values{"name": {"pwned"}, "time_zone": {"UTC"}}},
		{fmt.Sprintf("/schedules/%d/delete", s.ID), url.Values{"confirm": {"yes"}}},
		// Silences (silence_test.go checks that a refused expire changes nothing).
		{"/silences", url.Values{"matchers": {`alertname=~".+"`}, "duration": {"100d"}, "comment": {"pwned"}}},
		{"/silences/1/expire", url.Values{}},
		// Stakeholder groups and status updates (stakeholder_test.go checks
		// that none of these changed anything).
		{"/groups", url.Values{"name": {"pwned"}, "channels.0.type": {"webhook"}, "channels.0.address": {"https://evil.example/"}}},
		{"/groups/1", url.Values{"name": {"pwned"}, "channels.0.type": {"webhook"}, "channels.0.address": {"https://evil.example/"}}},
		{"/groups/1/delete", url.Values{"confirm": {"yes"}}},
		{"/incidents/1/status-updates", url.Values{"message": {"pwned"}}},
	} {
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: evil}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", p.path, rec.Code)
		}
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form}); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s signed out: %d, want 401", p.path, rec.Code)
		}
	}
	ctx := context.Background()
	if l, _ := h.db.ListOverrides(ctx, s.ID, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); len(l) != 0 {
		t.Error("a refused request created an override")
	}
	if l, _ := h.db.ListEscalationPolicies(ctx); len(l) != 0 {
		t.Error("a refused request created a policy")
	}
	if l, _ := h.db.FindNotifications(ctx, vigil.NotificationFilter{}); len(l) != 0 {
		t.Error("a refused request queued a notification")
	}
}

// wantFeedURL checks that a page offers the secret calendar feed address
// of (kind, id), signed with the store's feed key.
func wantFeedURL(t *testing.T, h *harness, body, kind string, id int64) {
	t.Helper()
	m := regexp.MustCompile(`class="feed-url" readonly value="([^"]+)"`).FindStringSubmatch(section(t, body, "calendar-feed"))
	if m == nil {
		t.Fatalf("no calendar feed address on the page")
	}
	key, err := h.db.SigningKey(context.Background(), vigil.KeyCalendarFeeds)
	if err != nil {
		t.Fatal(err)
	}
	if want := signed.New(key).FeedURL("http://"+testHost, kind, id); m[1] != want {
		t.Errorf("feed address %q, want %q", m[1], want)
	}
}
