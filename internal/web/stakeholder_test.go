package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Secret addresses of the stakeholder tests: Teams and webhook URLs are
// credentials, so no page may ever contain their paths.
const (
	teamsURL   = "https://prod-42.westeurope.logic.azure.com/workflows/abc/triggers/manual?sig=TEAMS-SECRET"
	hookOneURL = "https://hooks.example.com/services/HOOK-ONE-SECRET"
	hookTwoURL = "https://hooks.example.com/services/HOOK-TWO-SECRET"
)

// noSecrets fails when a page shows any part of a secret URL's path.
func noSecrets(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{"TEAMS-SECRET", "HOOK-ONE-SECRET", "HOOK-TWO-SECRET", "/workflows/abc"} {
		if strings.Contains(body, s) {
			t.Errorf("the page shows the secret %q", s)
		}
	}
}

func (h *harness) group(g *vigil.StakeholderGroup) *vigil.StakeholderGroup {
	h.t.Helper()
	if err := h.db.CreateStakeholderGroup(context.Background(), g); err != nil {
		h.t.Fatalf("CreateStakeholderGroup(%q): %v", g.Name, err)
	}
	return g
}

func (h *harness) groups() []*vigil.StakeholderGroup {
	h.t.Helper()
	l, err := h.db.ListStakeholderGroups(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return l
}

// statusMessages are the incident's queued status update messages.
func (h *harness) statusMessages(incidentID int64) []*vigil.Notification {
	h.t.Helper()
	l, err := h.db.FindNotifications(context.Background(), vigil.NotificationFilter{IncidentID: &incidentID})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []*vigil.Notification
	for _, n := range l {
		if n.Kind == vigil.MessageStatus {
			out = append(out, n)
		}
	}
	return out
}

// statusEntries counts the incident's status update timeline entries.
func (h *harness) statusEntries(incidentID int64) int {
	h.t.Helper()
	tl, err := h.db.FindTimeline(context.Background(), incidentID)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range tl {
		if e.Kind == vigil.EntryStatusUpdate {
			n++
		}
	}
	return n
}

// groupFormValues is a filled-in "New group" form: five channel rows, the
// second left blank (ignored), so the store's channels[i] are rows 0, 2,
// 3, 4.
func groupFormValues() url.Values {
	return url.Values{
		"name": {"Support <b>desk</b>"}, "description": {xssName}, "min_severity": {"critical"},
		"channels.0.type": {"slack"}, "channels.0.address": {"C024BE91L"}, "channels.0.name": {"support room"}, "channels.0.orig": {""},
		"channels.1.type": {"slack"}, "channels.1.address": {""}, "channels.1.name": {""}, "channels.1.orig": {""},
		"channels.2.type": {"teams"}, "channels.2.address": {teamsURL}, "channels.2.name": {""}, "channels.2.orig": {""},
		"channels.3.type": {"email"}, "channels.3.address": {"support@example.com"}, "channels.3.name": {"list"}, "channels.3.orig": {""},
		"channels.4.type": {"webhook"}, "channels.4.address": {hookOneURL}, "channels.4.name": {"status page"}, "channels.4.orig": {""},
	}
}

func TestStakeholderGroupCreate(t *testing.T) {
	h := newHarness(t)

	rec := h.get("/groups")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noInlineCode(t, body)
	if !strings.Contains(body, `href="/groups" aria-current="page">Stakeholders`) {
		t.Error("the Stakeholders menu entry is missing or not highlighted")
	}
	if !strings.Contains(text(section(t, body, "group-list")), "No stakeholder groups yet") {
		t.Error("an empty list is not explained")
	}
	form := section(t, body, "new-group")
	for _, want := range []string{`name="channels.0.address"`, `<option value="" selected>only when named</option>`,
		`<option value="critical">critical incidents</option>`, `<option value="teams">Microsoft Teams (Workflows)</option>`, `id="add-channel"`} {
		if !strings.Contains(form, want) {
			t.Errorf("the new group form lacks %s", want)
		}
	}

	// "Add a channel" shows the form again with another row, keeping what
	// was typed, and saves nothing.
	rec = h.post("/groups", with(groupFormValues(), "op", "add_channel"))
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if !strings.Contains(body, `name="channels.5.address"`) || !strings.Contains(text(body), "Channel 6 added below. Nothing is saved until you press “Create group”.") {
		t.Errorf("no sixth row or notice:\n%s", excerpt(section(t, body, "new-group")))
	}
	if !strings.Contains(body, `value="support@example.com"`) || !strings.Contains(body, `<option value="critical" selected>`) {
		t.Error("the form lost what was typed")
	}
	// "Remove" drops its row, the rows after it move up.
	rec = h.post("/groups", with(groupFormValues(), "op", "remove_channel:0"))
	wantStatus(t, rec, http.StatusOK)
	if body = rec.Body.String(); strings.Contains(body, `value="C024BE91L"`) || strings.Contains(body, `name="channels.4.address"`) ||
		!strings.Contains(body, `name="channels.3.address" value="https://hooks.example.com/services/HOOK-ONE-SECRET"`) {
		t.Errorf("remove_channel:0 did not drop the first row:\n%s", excerpt(section(t, body, "group-channels")))
	}
	if n := len(h.groups()); n != 0 {
		t.Fatalf("the shape buttons stored %d groups", n)
	}

	rec = h.post("/groups", groupFormValues())
	wantStatus(t, rec, http.StatusSeeOther)
	l := h.groups()
	if len(l) != 1 {
		t.Fatalf("%d groups after create, want 1", len(l))
	}
	g := l[0]
	want := []vigil.StakeholderChannel{
		{Type: "slack", Address: "C024BE91L", Name: "support room"},
		{Type: "teams", Address: teamsURL, Name: "teams"},
		{Type: "email", Address: "support@example.com", Name: "list"},
		{Type: "webhook", Address: hookOneURL, Name: "status page"},
	}
	if g.Name != "Support <b>desk</b>" || g.Description != xssName || g.MinSeverity != vigil.SeverityCritical || !slices.Equal(g.Channels, want) {
		t.Fatalf("created group = %s", mustJSON(g))
	}
	page := fmt.Sprintf("/groups/%d", g.ID)
	wantRedirect(t, rec, page)
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	noSecrets(t, body)
	if strings.Contains(body, "<b>desk") {
		t.Error("the group name is not escaped")
	}
	if !strings.Contains(text(body), "Stakeholder group Support <b>desk</b> created with 4 channels.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	if got := text(section(t, body, "group-channel-list")); got != "slack support room C024BE91L teams teams https://prod-42.westeurope.logic.azure.com/… "+
		"email list support@example.com webhook status page https://hooks.example.com/…" {
		t.Errorf("channels = %q", got)
	}
	if got := text(section(t, body, "group-hears")); got != "critical incidents" {
		t.Errorf("hears about = %q", got)
	}

	list := h.get("/groups").Body.String()
	noRawXSS(t, list)
	noSecrets(t, list)
	if row := text(section(t, list, fmt.Sprintf("group-%d", g.ID))); !strings.Contains(row, "Support <b>desk</b> critical incidents slack support room C024BE91L teams teams https://prod-42.westeurope.logic.azure.com/…") ||
		!strings.Contains(row, xssName) {
		t.Errorf("group row = %q", row)
	}
}

func TestStakeholderGroupValidation(t *testing.T) {
	h := newHarness(t)
	h.group(&vigil.StakeholderGroup{Name: "Executives", Channels: []vigil.StakeholderChannel{{Type: "email", Address: "exec@example.com"}}})
	good := groupFormValues()
	blank := with(good, "channels.0.address", "", "channels.0.name", "", "channels.2.address", "", "channels.3.address", "",
		"channels.3.name", "", "channels.4.address", "", "channels.4.name", "")
	wantRefused(t, h, []badForm{
		{"no name", "/groups", with(good, "name", ""), 422, "group-name", "Name: is required"},
		{"taken name", "/groups", with(good, "name", "EXECUTIVES"), 409, "group-name", "Name: a stakeholder group with this name already exists"},
		{"bad severity", "/groups", with(good, "min_severity", "urgent"), 422, "group-min-severity", "Hears about: must be one of critical, error, warning, info"},
		{"no channels", "/groups", blank, 422, "group-channels", "Channels: give at least one channel"},
		{"bad type", "/groups", with(good, "channels.0.type", "sms"), 422, "channel-0-type", "Channel 1 type: must be one of slack, teams, email, webhook"},
		{"bad slack", "/groups", with(good, "channels.0.address", "support"), 422, "channel-0-address", "Channel 1 address: must be a Slack member or channel ID"},
		// The store's channels[2] is the form's fourth row: the second is blank.
		{"bad e-mail", "/groups", with(good, "channels.3.address", "support at example"), 422, "channel-3-address", "Channel 4 address: must be an e-mail address"},
		{"masked URL", "/groups", with(good, "channels.2.address", "https://prod-42.westeurope.logic.azure.com/…"), 422, "channel-2-address",
			"Channel 3 address: is a masked address: send the full URL"},
		{"not a URL", "/groups", with(good, "channels.4.address", "javascript:alert(1)"), 422, "channel-4-address", "Channel 5 address: must be an http or https URL"},
		{"twice", "/groups", with(good, "channels.3.type", "webhook", "channels.3.address", hookOneURL), 422, "channel-4-address", "Channel 5 address: repeats channel 4"},
	}, "name")
	if l := h.groups(); len(l) != 1 || l[0].Name != "Executives" {
		t.Fatalf("refused forms stored groups: %s", mustJSON(l))
	}
	// The error is at its row only.
	body := h.post("/groups", with(good, "channels.3.address", "nope")).Body.String()
	for _, id := range []string{"channel-0-address", "channel-2-address", "channel-4-address", "group-name"} {
		if msg := fieldError(t, body, id); msg != "" {
			t.Errorf("#%s shows %q", id, msg)
		}
	}
	if !strings.Contains(body, `id="channel-3-address" name="channels.3.address" value="nope" maxlength="2048" autocomplete="off" spellcheck="false" aria-invalid="true"`) {
		t.Error("the bad input is not marked invalid")
	}
	noRawXSS(t, body) // the description as typed
}

func TestStakeholderGroupEditKeepsMaskedURLs(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	g := h.group(&vigil.StakeholderGroup{Name: "Executives", Description: "the board", MinSeverity: vigil.SeverityError,
		Channels: []vigil.StakeholderChannel{
			{Type: "teams", Address: teamsURL, Name: "board room"},
			{Type: "webhook", Address: hookOneURL, Name: "first hook"},
			{Type: "webhook", Address: hookTwoURL, Name: "second hook"},
			{Type: "email", Address: "exec@example.com"},
		}})
	h.group(&vigil.StakeholderGroup{Name: "Other", Channels: []vigil.StakeholderChannel{{Type: "email", Address: "o@example.com"}}})
	page := fmt.Sprintf("/groups/%d", g.ID)
	stored := func() *vigil.StakeholderGroup {
		t.Helper()
		got, err := h.db.FindStakeholderGroup(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	rec := h.get(page)
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noSecrets(t, body)
	noInlineCode(t, body)
	edit := section(t, body, "edit-group")
	for _, want := range []string{
		`action="` + page + `"`, `<option value="error" selected>error incidents or worse</option>`, ">the board</textarea>",
		`name="channels.0.address" value="https://prod-42.westeurope.logic.azure.com/…"`,
		`name="channels.1.orig" value="1"`, `name="channels.2.address" value="https://hooks.example.com/…"`,
		`name="channels.3.address" value="exec@example.com"`, "leave a masked address as it is to keep the stored URL",
	} {
		if !strings.Contains(edit, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	if !strings.Contains(body, `href="/groups" aria-current="page">Stakeholders`) {
		t.Error("the menu entry is not highlighted")
	}

	// What the browser sends back: the masked addresses, as shown. The
	// first webhook row is removed, so the second (which masks alike) must
	// keep its own URL, not take the first one's.
	masked := url.Values{
		"name": {"Board"}, "description": {""}, "min_severity": {""},
		"channels.0.type": {"teams"}, "channels.0.address": {"https://prod-42.westeurope.logic.azure.com/…"}, "channels.0.name": {"board room"}, "channels.0.orig": {"0"},
		"channels.1.type": {"webhook"}, "channels.1.address": {"https://hooks.example.com/…"}, "channels.1.name": {"second hook"}, "channels.1.orig": {"2"},
		"channels.2.type": {"email"}, "channels.2.address": {"exec@example.com"}, "channels.2.name": {"email"}, "channels.2.orig": {"3"},
	}

	// Refused edits store nothing and never show the stored URLs.
	wantRefused(t, h, []badForm{
		{"taken name", page, with(masked, "name", "other"), 409, "group-name", "Name: a stakeholder group with this name already exists"},
		{"bad e-mail", page, with(masked, "channels.2.address", "exec"), 422, "channel-2-address", "Channel 3 address: must be an e-mail address"},
		// A masked Teams URL cannot become a webhook: there is no stored
		// webhook behind it.
		{"masked, type changed", page, with(masked, "channels.0.type", "webhook"), 422, "channel-0-address", "Channel 1 address: is a masked address: send the full URL"},
	}, "name")
	rec = h.post(page, with(masked, "channels.2.address", "exec"))
	noSecrets(t, rec.Body.String())
	if !strings.Contains(rec.Body.String(), `name="channels.1.address" value="https://hooks.example.com/…"`) {
		t.Error("a refused edit lost the masked address as typed")
	}
	// A shape button saves nothing and shows no secret either.
	rec = h.post(page, with(masked, "op", "add_channel"))
	wantStatus(t, rec, http.StatusOK)
	noSecrets(t, rec.Body.String())
	if !strings.Contains(rec.Body.String(), `name="channels.3.orig" value=""`) {
		t.Error("add_channel added no row")
	}
	if got := stored(); got.Name != "Executives" || len(got.Channels) != 4 {
		t.Fatalf("refused edits changed the group: %s", mustJSON(got))
	}

	rec = h.post(page, masked)
	wantRedirect(t, rec, page)
	got := stored()
	want := []vigil.StakeholderChannel{
		{Type: "teams", Address: teamsURL, Name: "board room"},
		{Type: "webhook", Address: hookTwoURL, Name: "second hook"},
		{Type: "email", Address: "exec@example.com", Name: "email"},
	}
	if got.Name != "Board" || got.Description != "" || got.MinSeverity != "" || !slices.Equal(got.Channels, want) {
		t.Fatalf("edited group = %s", mustJSON(got))
	}
	body = h.follow(rec).Body.String()
	noSecrets(t, body)
	if !strings.Contains(text(body), "Stakeholder group Board saved.") || text(section(t, body, "group-hears")) != "only when named" {
		t.Errorf("no confirmation of the edit:\n%s", excerpt(body))
	}

	// A row without its origin (a hand-made form) is matched as the API
	// matches; a pasted URL replaces the stored one.
	rec = h.post(page, with(masked, "channels.1.orig", "", "channels.0.address", "https://new.example.com/teams/NEW"))
	wantRedirect(t, rec, page)
	if got := stored(); got.Channels[0].Address != "https://new.example.com/teams/NEW" || got.Channels[1].Address != hookTwoURL {
		t.Fatalf("edited group = %s", mustJSON(got))
	}

	wantStatus(t, h.get("/groups/987654"), http.StatusNotFound)
	wantStatus(t, h.post("/groups/987654", masked), http.StatusNotFound)
	wantStatus(t, h.get("/groups/x"), http.StatusNotFound)
}

func TestStakeholderGroupDelete(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	g := h.group(&vigil.StakeholderGroup{Name: xssName, MinSeverity: vigil.SeverityInfo,
		Channels: []vigil.StakeholderChannel{{Type: "email", Address: "a@example.com"}, {Type: "webhook", Address: hookOneURL}}})
	inc := h.trigger(h.service("checkout"), vigil.Event{Summary: "checkout down", Severity: vigil.SeverityWarning})
	if _, err := h.db.PostStatusUpdate(vigil.WithActor(ctx, vigil.Actor{Name: "alice", Kind: vigil.ActorToken, Source: vigil.SourceWeb}),
		inc.ID, vigil.StatusUpdateInput{Message: "We are on it."}); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/groups/%d", g.ID)
	body := h.get(page).Body.String()
	if !strings.Contains(section(t, body, "group-delete"), "Delete group…") {
		t.Fatal("no delete button")
	}

	rec := h.post(page+"/delete", nil)
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	noSecrets(t, body)
	c := text(section(t, body, "confirm-delete"))
	for _, want := range []string{"Delete stakeholder group " + xssName + "?", "Its 2 channels stop hearing status updates.",
		"no longer go to it (every incident (info or worse))", "stay on their incidents' timelines"} {
		if !strings.Contains(c, want) {
			t.Errorf("confirmation lacks %q: %q", want, c)
		}
	}
	if !strings.Contains(body, `action="`+page+`/delete"`) || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Error("the confirmation does not post confirm=yes")
	}
	if len(h.groups()) != 1 {
		t.Fatal("the first step deleted the group")
	}

	rec = h.post(page+"/delete", url.Values{"confirm": {"yes"}})
	wantRedirect(t, rec, "/groups")
	if _, err := h.db.FindStakeholderGroup(ctx, g.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Fatalf("FindStakeholderGroup after delete: %v", err)
	}
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	if !strings.Contains(text(body), "Stakeholder group "+xssName+" deleted.") {
		t.Error("no confirmation of the deletion")
	}
	// The update it got stays on the timeline.
	if h.statusEntries(inc.ID) != 1 || !strings.Contains(text(h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()), "We are on it.") {
		t.Error("the group's past update left the timeline")
	}
	rec = h.post(page+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, rec, http.StatusNotFound)
}

func TestStatusUpdateFromIncidentPage(t *testing.T) {
	h := newHarness(t)
	inc := h.trigger(h.service("checkout"), vigil.Event{Summary: "checkout down", Severity: vigil.SeverityCritical})
	page := fmt.Sprintf("/incidents/%d", inc.ID)

	// No groups: the page says where to make one.
	body := h.get(page).Body.String()
	if s := section(t, body, "status-update"); !strings.Contains(s, `href="/groups"`) || strings.Contains(s, "<form") {
		t.Errorf("without groups the status update card = %s", s)
	}

	support := h.group(&vigil.StakeholderGroup{Name: "Support", MinSeverity: vigil.SeverityCritical, Channels: []vigil.StakeholderChannel{
		{Type: "slack", Address: "C024BE91L", Name: "#support"}, {Type: "email", Address: "support@example.com"}}})
	execs := h.group(&vigil.StakeholderGroup{Name: "Executives", Channels: []vigil.StakeholderChannel{
		{Type: "email", Address: "exec@example.com"}, {Type: "teams", Address: teamsURL}}})
	xss := h.group(&vigil.StakeholderGroup{Name: xssName, Channels: []vigil.StakeholderChannel{{Type: "webhook", Address: hookOneURL}}})

	body = h.get(page).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	noSecrets(t, body)
	card := section(t, body, "status-update")
	for _, want := range []string{
		fmt.Sprintf(`action="/incidents/%d/status-updates"`, inc.ID), `<textarea id="status-message" name="message"`,
		fmt.Sprintf(`<input type="checkbox" id="status-group-%d" name="groups" value="%d">`, support.ID, support.ID),
		fmt.Sprintf(`id="status-group-%d"`, execs.ID), fmt.Sprintf(`id="status-group-%d"`, xss.ID),
	} {
		if !strings.Contains(card, want) {
			t.Errorf("the status update form lacks %s", want)
		}
	}
	if got := text(section(t, card, "status-default")); got != "Tick none to tell the groups that hear about critical incidents: Support." {
		t.Errorf("default hint = %q", got)
	}

	// Nothing ticked: the groups by severity.
	rec := h.post(page+"/status-updates", url.Values{"message": {"  We are rolling back the 14:02 deploy.\nNext update at 15:00.  "}})
	wantRedirect(t, rec, page)
	msgs := h.statusMessages(inc.ID)
	if len(msgs) != 2 {
		t.Fatalf("%d status messages, want 2: %s", len(msgs), mustJSON(msgs))
	}
	dests := []string{}
	for _, n := range msgs {
		dests = append(dests, n.DestType+":"+n.DestAddress)
		if n.Body != "We are rolling back the 14:02 deploy.\nNext update at 15:00." || n.UserID != 0 {
			t.Errorf("message = %s", mustJSON(n))
		}
	}
	slices.Sort(dests)
	if !slices.Equal(dests, []string{"email:support@example.com", "slack:C024BE91L"}) {
		t.Errorf("sent to %v", dests)
	}
	e := lastEntry(t, h, inc.ID, vigil.EntryStatusUpdate)
	if e.Actor != "alice" || e.Source != vigil.SourceWeb {
		t.Errorf("timeline entry = %s", mustJSON(e))
	}
	body = h.follow(rec).Body.String()
	if !strings.Contains(text(body), "Status update queued to 2 channels of Support.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	entry := section(t, body, fmt.Sprintf("entry-%d", e.ID))
	if got := text(entry); !strings.HasSuffix(got, "Status update alice web to Support (2 channels) We are rolling back the 14:02 deploy. Next update at 15:00.") {
		t.Errorf("timeline entry reads %q", got)
	}
	if !strings.Contains(entry, "deploy.\nNext update") {
		t.Error("the message's line breaks are lost")
	}

	// Ticked groups, whatever their minimum severity; the message escaped.
	rec = h.post(page+"/status-updates", url.Values{"message": {"Still down " + xssName},
		"groups": {fmt.Sprint(execs.ID), fmt.Sprint(xss.ID), fmt.Sprint(execs.ID)}})
	wantRedirect(t, rec, page)
	if n := len(h.statusMessages(inc.ID)); n != 5 {
		t.Fatalf("%d status messages, want 5", n)
	}
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	noSecrets(t, body)
	if !strings.Contains(text(body), "Status update queued to 3 channels of Executives, "+xssName+".") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	e = lastEntry(t, h, inc.ID, vigil.EntryStatusUpdate)
	if got := text(section(t, body, fmt.Sprintf("entry-%d", e.ID))); !strings.HasSuffix(got, "to Executives, "+xssName+" (3 channels) Still down "+xssName) {
		t.Errorf("timeline entry reads %q", got)
	}
	if h.statusEntries(inc.ID) != 2 {
		t.Error("want two status update entries")
	}
}

func TestStatusUpdateRefused(t *testing.T) {
	h := newHarness(t)
	inc := h.trigger(h.service("checkout"), vigil.Event{Summary: "checkout slow", Severity: vigil.SeverityWarning})
	page := fmt.Sprintf("/incidents/%d", inc.ID)
	post := page + "/status-updates"
	nothingStored := func() {
		t.Helper()
		if n := len(h.statusMessages(inc.ID)); n != 0 {
			t.Fatalf("a refused update queued %d messages", n)
		}
		if h.statusEntries(inc.ID) != 0 {
			t.Fatal("a refused update is on the timeline")
		}
	}

	// No group at all: 409, said next to the form.
	rec := h.post(post, url.Values{"message": {"hello"}})
	wantStatus(t, rec, http.StatusConflict)
	if got := text(section(t, rec.Body.String(), "status-update")); !strings.Contains(got, "no stakeholder group exists: create one first") {
		t.Errorf("status update card = %q", got)
	}
	nothingStored()

	execs := h.group(&vigil.StakeholderGroup{Name: "Executives", MinSeverity: vigil.SeverityCritical,
		Channels: []vigil.StakeholderChannel{{Type: "email", Address: "exec@example.com"}}})
	h.group(&vigil.StakeholderGroup{Name: "Security", Channels: []vigil.StakeholderChannel{{Type: "email", Address: "sec@example.com"}}})
	body := h.get(page).Body.String()
	if got := text(section(t, body, "status-default")); got != "No group hears about warning incidents on its own: tick the groups to tell." {
		t.Errorf("default hint = %q", got)
	}

	// Nobody hears about warning incidents and none is ticked: 409, the
	// message kept.
	rec = h.post(post, url.Values{"message": {"Checkout is slow " + xssName}})
	wantStatus(t, rec, http.StatusConflict)
	body = rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	card := section(t, body, "status-update")
	if !strings.Contains(card, `<p class="form-error" role="alert">no stakeholder group hears about warning incidents`) {
		t.Errorf("no conflict shown at the form:\n%s", card)
	}
	if !strings.Contains(card, ">Checkout is slow &lt;script&gt;alert(1)&lt;/script&gt;</textarea>") {
		t.Error("the form lost the message")
	}
	nothingStored()

	tick := fmt.Sprint(execs.ID)
	for _, c := range []struct {
		name  string
		form  url.Values
		input string
		msg   string
	}{
		{"no message", url.Values{"message": {"  "}, "groups": {tick}}, "status-message", "Message: is required"},
		{"too long", url.Values{"message": {strings.Repeat("x", vigil.MaxStatusUpdateLen+1)}, "groups": {tick}}, "status-message",
			"Message: must be at most 2000 bytes"},
		{"gone group", url.Values{"message": {"hello"}, "groups": {tick, "987654"}}, "status-groups",
			"Groups: a group you ticked no longer exists"},
		{"garbled group", url.Values{"message": {"hello"}, "groups": {tick, "x"}}, "status-groups", "Groups: a group you ticked no longer exists"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post(post, c.form)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := rec.Body.String()
			if msg := fieldError(t, body, c.input); !strings.HasPrefix(msg, c.msg) {
				t.Errorf("error next to #%s = %q, want %q", c.input, msg, c.msg)
			}
			if !strings.Contains(body, fmt.Sprintf(`id="status-group-%d" name="groups" value="%d" checked>`, execs.ID, execs.ID)) {
				t.Error("the ticked group is no longer ticked")
			}
			noInlineCode(t, body)
		})
	}
	nothingStored()

	wantStatus(t, h.post("/incidents/987654/status-updates", url.Values{"message": {"hello"}, "groups": {tick}}), http.StatusNotFound)
	wantStatus(t, h.post("/incidents/x/status-updates", url.Values{"message": {"hello"}}), http.StatusNotFound)
}

// TestStakeholderPagesNeedSessionAndSameSite: the pages need a session, and
// every POST is refused from another site or without a session, changing
// nothing.
func TestStakeholderPagesNeedSessionAndSameSite(t *testing.T) {
	h := newHarness(t)
	g := h.group(&vigil.StakeholderGroup{Name: "Support", MinSeverity: vigil.SeverityInfo,
		Channels: []vigil.StakeholderChannel{{Type: "email", Address: "support@example.com"}}})
	inc := h.trigger(h.service("checkout"), vigil.Event{Summary: "down"})
	page := fmt.Sprintf("/groups/%d", g.ID)
	for _, p := range []string{"/groups", page} {
		wantStatus(t, h.get(p), http.StatusOK)
		wantRedirect(t, h.do(req{path: p}), "/login")
	}
	pwned := url.Values{"name": {"pwned"}, "channels.0.type": {"webhook"}, "channels.0.address": {"https://evil.example/"}}
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/groups", pwned},
		{page, pwned},
		{page + "/delete", url.Values{"confirm": {"yes"}}},
		{fmt.Sprintf("/incidents/%d/status-updates", inc.ID), url.Values{"message": {"pwned"}}},
	} {
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: evil}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", p.path, rec.Code)
		}
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form}); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s signed out: %d, want 401", p.path, rec.Code)
		}
	}
	if l := h.groups(); len(l) != 1 || l[0].Name != "Support" || l[0].Channels[0].Address != "support@example.com" {
		t.Errorf("refused requests changed the groups: %s", mustJSON(l))
	}
	if len(h.statusMessages(inc.ID)) != 0 || h.statusEntries(inc.ID) != 0 {
		t.Error("a refused request posted a status update")
	}
}
