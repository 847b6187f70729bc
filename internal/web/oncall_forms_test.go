package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// badForm is a form the UI must refuse: the status, the input the error
// shows next to (its id) and the message.
type badForm struct {
	name   string
	path   string
	form   url.Values
	status int
	input  string
	msg    string
}

// wantRefused posts each bad form and checks the page shows the error
// next to its input, names the field, keeps what was typed in the fields
// listed in keep, and escapes everything.
func wantRefused(t *testing.T, h *harness, cases []badForm, keep ...string) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post(c.path, c.form)
			wantStatus(t, rec, c.status)
			body := rec.Body.String()
			if !errorNextTo(body, c.input) {
				t.Errorf("error not next to #%s:\n%s", c.input, excerpt(body[max(0, strings.Index(body, `id="`+c.input+`"`)-200):]))
			}
			if !strings.Contains(text(body), c.msg) {
				t.Errorf("page lacks %q", c.msg)
			}
			for _, k := range keep {
				if v := template.HTMLEscapeString(c.form.Get(k)); v != "" && !strings.Contains(body, `value="`+v+`"`) && !strings.Contains(body, ">"+v+"</textarea>") {
					t.Errorf("the form lost %s = %q", k, v)
				}
			}
			noInlineCode(t, body)
			if strings.Contains(body, "<script>alert") {
				t.Error("a name is not escaped")
			}
		})
	}
}

// with returns a copy of v with the given key/value pairs set.
func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestUserCreateEditDelete(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ben := h.user("Ben", "ben@example.com")

	body := h.get("/users").Body.String()
	noInlineCode(t, body)
	form := section(t, body, "new-user")
	for _, want := range []string{`action="/users"`, `name="name"`, `name="email"`, `name="time_zone" value="UTC" list="time-zones"`, `<datalist id="time-zones">`} {
		if !strings.Contains(form, want) && !strings.Contains(body, want) {
			t.Errorf("the New person form lacks %s", want)
		}
	}

	good := url.Values{"name": {xssName}, "email": {"ana@example.com"}, "time_zone": {"Europe/Berlin"}}
	users := func() []*vigil.User {
		t.Helper()
		list, err := h.db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h.others(list)
	}
	wantRefused(t, h, []badForm{
		{"no name", "/users", with(good, "name", ""), 422, "user-name", "Name: is required"},
		{"bad e-mail", "/users", with(good, "email", "ana at example"), 422, "user-email", "E-mail: must be an e-mail address"},
		{"unknown zone", "/users", with(good, "time_zone", "Mars/Olympus"), 422, "user-time-zone", `Time zone: unknown time zone "Mars/Olympus"`},
		{"server zone", "/users", with(good, "time_zone", "Local"), 422, "user-time-zone", "Time zone: must be an IANA time zone name"},
		{"taken e-mail", "/users", with(good, "email", "ben@example.com"), 409, "user-email", "E-mail: a user with this e-mail already exists"},
	}, "email", "time_zone")
	if n := len(users()); n != 1 {
		t.Fatalf("%d users after refused forms, want 1", n)
	}

	rec := h.post("/users", good)
	wantStatus(t, rec, http.StatusSeeOther)
	var ana *vigil.User
	for _, u := range users() {
		if u.Email == "ana@example.com" {
			ana = u
		}
	}
	if ana == nil || ana.Name != xssName || ana.TimeZone != "Europe/Berlin" {
		t.Fatalf("created user = %+v", ana)
	}
	page := fmt.Sprintf("/users/%d", ana.ID)
	wantRedirect(t, rec, page)
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if !strings.Contains(body, `class="flash flash-ok"`) || !strings.Contains(text(body), xssName+" added.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	// The person's page edits them.
	edit := section(t, body, "edit-user")
	for _, want := range []string{`action="` + page + `"`, `value="ana@example.com"`, `value="Europe/Berlin"`} {
		if !strings.Contains(edit, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}

	wantRefused(t, h, []badForm{
		{"edit: taken e-mail", page, with(good, "email", "ben@example.com"), 409, "user-email", "E-mail: a user with this e-mail already exists"},
		{"edit: no name", page, with(good, "name", ""), 422, "user-name", "Name: is required"},
	}, "email")
	if got, _ := h.db.FindUser(ctx, ana.ID); got.Email != "ana@example.com" || got.Name != xssName {
		t.Fatalf("a refused edit changed the user: %+v", got)
	}
	rec = h.post(page, url.Values{"name": {"Ana Alvarez"}, "email": {"ana.alvarez@example.com"}, "time_zone": {"America/New_York"}})
	wantRedirect(t, rec, page)
	got, err := h.db.FindUser(ctx, ana.ID)
	if err != nil || got.Name != "Ana Alvarez" || got.Email != "ana.alvarez@example.com" || got.TimeZone != "America/New_York" {
		t.Fatalf("edited user = %+v (%v)", got, err)
	}
	if body := h.follow(rec).Body.String(); !strings.Contains(body, "Ana Alvarez saved.") {
		t.Error("no confirmation of the edit")
	}
	wantStatus(t, h.post("/users/987654", good), http.StatusNotFound)

	// Deleting asks first, saying what goes with her.
	s := h.rotation("primary <b>db</b>", ana.ID, ben.ID)
	hook := &vigil.ContactMethod{UserID: ana.ID, Type: vigil.ContactWebhook, Address: "https://hooks.example/x"}
	if err := h.db.CreateContactMethod(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.get(page).Body.String(), `action="`+page+`/delete"`) {
		t.Error("no delete button on the person's page")
	}
	rec = h.post(page+"/delete", nil)
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noInlineCode(t, body)
	confirm := text(section(t, body, "confirm-delete"))
	for _, want := range []string{"Delete Ana Alvarez?", "1 contact method", "Schedule primary <b>db</b> loses them"} {
		if !strings.Contains(confirm, want) {
			t.Errorf("the confirmation lacks %q: %s", want, confirm)
		}
	}
	if strings.Contains(body, "<b>db") {
		t.Error("the schedule name is not escaped")
	}
	if !strings.Contains(body, `name="confirm" value="yes"`) || !strings.Contains(body, `action="`+page+`/delete"`) {
		t.Error("the confirmation has no confirming form")
	}
	if _, err := h.db.FindUser(ctx, ana.ID); err != nil {
		t.Fatalf("the first step deleted the user: %v", err)
	}
	// Only a POST deletes; there is no page at GET …/delete.
	wantStatus(t, h.get(page+"/delete"), http.StatusNotFound)

	rec = h.post(page+"/delete", url.Values{"confirm": {"yes"}})
	wantRedirect(t, rec, "/users")
	if _, err := h.db.FindUser(ctx, ana.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Fatalf("FindUser after delete: %v", err)
	}
	if body := h.follow(rec).Body.String(); !strings.Contains(body, "Ana Alvarez deleted.") || strings.Contains(section(t, body, "new-user"), "Ana Alvarez") {
		t.Error("no confirmation of the deletion")
	}
	if got, _ := h.db.FindSchedule(ctx, s.ID); len(got.Layers) != 1 || !slices.Equal(got.Layers[0].Members, []int64{ben.ID}) {
		t.Errorf("the schedule still names her: %+v", got.Layers)
	}
	wantStatus(t, h.post(page+"/delete", url.Values{"confirm": {"yes"}}), http.StatusNotFound)
}

func TestContactMethodForms(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	bens := &vigil.ContactMethod{UserID: ben.ID, Type: vigil.ContactEmail, Address: "ben@example.com"}
	if err := h.db.CreateContactMethod(ctx, bens); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/users/%d", ana.ID)
	methods := func() []*vigil.ContactMethod {
		t.Helper()
		list, err := h.db.ListContactMethods(ctx, ana.ID)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	body := h.get(page).Body.String()
	form := section(t, body, "contact-form")
	for _, typ := range vigil.ContactTypes {
		if !strings.Contains(form, `<option value="`+typ+`"`) {
			t.Errorf("the type select lacks %s", typ)
		}
	}

	good := url.Values{"type": {"webhook"}, "name": {"pager <i>hook</i>"}, "address": {"https://hooks.example/secret-token-123"}}
	wantRefused(t, h, []badForm{
		{"unknown type", page + "/contact-methods", with(good, "type", "pigeon"), 422, "contact-type", "Type: must be one of email, sms"},
		{"not a URL", page + "/contact-methods", with(good, "address", "hooks.example"), 422, "contact-address", "Address: must be an http or https URL"},
		{"not a number", page + "/contact-methods", with(good, "type", "sms", "address", "0151 123"), 422, "contact-address", "Address: must be a phone number in E.164 form"},
		{"no address", page + "/contact-methods", with(good, "type", "email", "address", ""), 422, "contact-address", "Address: must be an e-mail address"},
	}, "address")
	if n := len(methods()); n != 0 {
		t.Fatalf("%d contact methods stored by refused forms", n)
	}
	wantStatus(t, h.post("/users/987654/contact-methods", good), http.StatusNotFound)

	rec := h.post(page+"/contact-methods", good)
	wantRedirect(t, rec, page)
	list := methods()
	if len(list) != 1 || list[0].Type != vigil.ContactWebhook || list[0].Name != "pager <i>hook</i>" ||
		list[0].Address != "https://hooks.example/secret-token-123" || list[0].Disabled {
		t.Fatalf("stored = %+v", list)
	}
	hook := list[0]
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if strings.Contains(body, "secret-token-123") {
		t.Error("the webhook's secret URL is shown")
	}
	if !strings.Contains(text(body), "Contact method pager <i>hook</i> (https://hooks.example/…) added.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	row := section(t, body, fmt.Sprintf("contact-method-%d", hook.ID))
	if !strings.Contains(text(row), "pager <i>hook</i> webhook https://hooks.example/… enabled") ||
		!strings.Contains(row, fmt.Sprintf(`action="%s/contact-methods/%d/disable"`, page, hook.ID)) ||
		!strings.Contains(row, fmt.Sprintf(`action="%s/contact-methods/%d/delete"`, page, hook.ID)) {
		t.Errorf("row = %s", row)
	}
	// An SMS number is stored as typed and shown masked.
	wantRedirect(t, h.post(page+"/contact-methods", url.Values{"type": {"sms"}, "address": {"+4915112345678"}}), page)
	if body := h.get(page).Body.String(); strings.Contains(body, "12345678") || !strings.Contains(body, "••••••••••5678") {
		t.Error("the SMS number is not masked")
	}

	// Disable and enable.
	base := fmt.Sprintf("%s/contact-methods/%d", page, hook.ID)
	rec = h.post(base+"/disable", nil)
	wantRedirect(t, rec, page)
	if m, _ := h.db.FindContactMethod(ctx, hook.ID); !m.Disabled || m.Address != hook.Address || m.Name != hook.Name {
		t.Fatalf("after disable: %+v", m)
	}
	body = h.follow(rec).Body.String()
	row = section(t, body, fmt.Sprintf("contact-method-%d", hook.ID))
	if !strings.Contains(text(row), "disabled") || !strings.Contains(row, base+`/enable"`) || !strings.Contains(body, "disabled: pages skip it") {
		t.Errorf("after disable, row = %s", row)
	}
	wantRedirect(t, h.post(base+"/enable", nil), page)
	if m, _ := h.db.FindContactMethod(ctx, hook.ID); m.Disabled {
		t.Fatal("still disabled after enable")
	}
	// Another person's method is not reachable through this page.
	wantStatus(t, h.post(fmt.Sprintf("%s/contact-methods/%d/disable", page, bens.ID), nil), http.StatusNotFound)
	rec = h.post(fmt.Sprintf("%s/contact-methods/%d/delete", page, bens.ID), nil)
	wantRedirect(t, rec, page)
	if !strings.Contains(h.follow(rec).Body.String(), "That contact method no longer exists.") {
		t.Error("deleting another person's method through this page is not refused")
	}
	if m, err := h.db.FindContactMethod(ctx, bens.ID); err != nil || m.Disabled {
		t.Errorf("Ben's method changed: %+v %v", m, err)
	}

	// Deleting takes the rules that use it along, and says so.
	if err := h.db.CreateNotificationRule(ctx, &vigil.NotificationRule{UserID: ana.ID, ContactMethodID: hook.ID}); err != nil {
		t.Fatal(err)
	}
	rec = h.post(base+"/delete", nil)
	wantRedirect(t, rec, page)
	if _, err := h.db.FindContactMethod(ctx, hook.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Fatalf("after delete: %v", err)
	}
	if rules, _ := h.db.ListNotificationRules(ctx, ana.ID); len(rules) != 0 {
		t.Errorf("%d rules left", len(rules))
	}
	if body := h.follow(rec).Body.String(); !strings.Contains(text(body), "deleted, with 1 notification rule that used it.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	rec = h.post(base+"/delete", nil)
	wantRedirect(t, rec, page)
	if body := h.follow(rec).Body.String(); !strings.Contains(body, "flash-error") {
		t.Error("deleting a deleted method is not reported")
	}
}

func TestNotificationRuleForms(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	hook := &vigil.ContactMethod{UserID: ana.ID, Name: "pager", Type: vigil.ContactWebhook, Address: "https://hooks.example/secret-token-123"}
	bens := &vigil.ContactMethod{UserID: ben.ID, Type: vigil.ContactEmail, Address: "ben@example.com"}
	for _, m := range []*vigil.ContactMethod{hook, bens} {
		if err := h.db.CreateContactMethod(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	page := fmt.Sprintf("/users/%d", ana.ID)
	rules := func(uid int64) []*vigil.NotificationRule {
		t.Helper()
		list, err := h.db.ListNotificationRules(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	form := section(t, h.get(page).Body.String(), "rule-form")
	if !strings.Contains(form, fmt.Sprintf(`<option value="%d">pager (webhook)</option>`, hook.ID)) || strings.Contains(form, fmt.Sprintf(`value="%d"`, bens.ID)) {
		t.Errorf("the method select should offer her methods only:\n%s", form)
	}
	if strings.Contains(form, "secret-token") {
		t.Error("the select shows an address")
	}

	m := fmt.Sprint(hook.ID)
	wantRefused(t, h, []badForm{
		{"no method", page + "/notification-rules", url.Values{"delay": {"2m"}}, 422, "rule-method", "Contact method: choose one of this person's contact methods"},
		{"someone else's method", page + "/notification-rules", url.Values{"contact_method_id": {fmt.Sprint(bens.ID)}, "delay": {"2m"}}, 422, "rule-method",
			fmt.Sprintf("Contact method: user %d has no contact method %d", ana.ID, bens.ID)},
		{"not a delay", page + "/notification-rules", url.Values{"contact_method_id": {m}, "delay": {"soon"}}, 422, "rule-delay", "Delay: must be a duration such as 0, 2m or 1h30m"},
		{"delay too long", page + "/notification-rules", url.Values{"contact_method_id": {m}, "delay": {"25h"}}, 422, "rule-delay", "Delay: must be between 0 and 24h"},
		{"negative delay", page + "/notification-rules", url.Values{"contact_method_id": {m}, "delay": {"-1m"}}, 422, "rule-delay", "Delay: must be between 0 and 24h"},
		{"no delay", page + "/notification-rules", url.Values{"contact_method_id": {m}}, 422, "rule-delay", "Delay: is required"},
	}, "delay")
	if n := len(rules(ana.ID)) + len(rules(ben.ID)); n != 0 {
		t.Fatalf("%d rules stored by refused forms", n)
	}

	rec := h.post(page+"/notification-rules", url.Values{"contact_method_id": {m}, "delay": {"2m"}})
	wantRedirect(t, rec, page)
	body := h.follow(rec).Body.String()
	if !strings.Contains(body, "Rule added: pager after 2m.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	if r := text(section(t, body, "notification-rules")); !strings.Contains(r, "after 2m0s: pager (webhook)") {
		t.Errorf("rules = %q", r)
	}
	wantRedirect(t, h.post(page+"/notification-rules", url.Values{"contact_method_id": {m}, "delay": {"0"}}), page)
	wantRedirect(t, h.post(page+"/notification-rules", url.Values{"contact_method_id": {m}, "delay": {"5"}}), page) // minutes
	list := rules(ana.ID)
	var delays []time.Duration
	for _, r := range list {
		delays = append(delays, time.Duration(r.Delay))
		if r.ContactMethodID != hook.ID {
			t.Errorf("rule %+v is not on the webhook", r)
		}
	}
	if !slices.Equal(delays, []time.Duration{0, 2 * time.Minute, 5 * time.Minute}) {
		t.Fatalf("delays = %v", delays)
	}

	// Delete one; a second time says it is gone; another person's rule
	// cannot be deleted through this page.
	del := fmt.Sprintf("%s/notification-rules/%d/delete", page, list[1].ID)
	if !strings.Contains(h.get(page).Body.String(), `action="`+del+`"`) {
		t.Error("no delete button per rule")
	}
	rec = h.post(del, nil)
	wantRedirect(t, rec, page)
	if n := len(rules(ana.ID)); n != 2 {
		t.Fatalf("%d rules after delete, want 2", n)
	}
	if !strings.Contains(h.follow(rec).Body.String(), "Notification rule deleted.") {
		t.Error("no confirmation of the deletion")
	}
	rec = h.post(del, nil)
	wantRedirect(t, rec, page)
	if !strings.Contains(h.follow(rec).Body.String(), "flash-error") {
		t.Error("deleting a deleted rule is not reported")
	}
	benRule := &vigil.NotificationRule{UserID: ben.ID, ContactMethodID: bens.ID}
	if err := h.db.CreateNotificationRule(ctx, benRule); err != nil {
		t.Fatal(err)
	}
	h.post(fmt.Sprintf("%s/notification-rules/%d/delete", page, benRule.ID), nil)
	if n := len(rules(ben.ID)); n != 1 {
		t.Error("Ben's rule was deleted through Ana's page")
	}
}

func TestTeamForms(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	other := &vigil.Team{Name: "Other"}
	if err := h.db.CreateTeam(ctx, other); err != nil {
		t.Fatal(err)
	}
	teams := func() []*vigil.Team {
		t.Helper()
		list, err := h.db.ListTeams(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}

	rec := h.get("/teams")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noRawXSS(t, body) // Ana is a choice of the members select
	noInlineCode(t, body)
	if !strings.Contains(body, `href="/teams" aria-current="page">Teams`) {
		t.Error("the Teams menu entry is missing or not highlighted")
	}
	if !strings.Contains(section(t, body, "new-team"), fmt.Sprintf(`<option value="%d">Ben</option>`, ben.ID)) {
		t.Error("the members select does not offer Ben")
	}

	good := url.Values{"name": {"DBA <b>team</b>"}, "description": {"the database people"}, "members": {fmt.Sprint(ana.ID), fmt.Sprint(ben.ID)}}
	wantRefused(t, h, []badForm{
		{"no name", "/teams", with(good, "name", ""), 422, "team-name", "Name: is required"},
		{"taken name", "/teams", with(good, "name", "Other"), 409, "team-name", "Name: a team with this name already exists"},
		{"unknown member", "/teams", with(good, "members", "987654"), 422, "team-members", "Members: members[0]: user 987654 does not exist"},
		{"garbled member", "/teams", with(good, "members", "x"), 422, "team-members", `Members: "x" is not a person`},
	}, "name")
	if n := len(teams()); n != 1 {
		t.Fatalf("%d teams after refused forms, want 1", n)
	}

	rec = h.post("/teams", good)
	wantStatus(t, rec, http.StatusSeeOther)
	var team *vigil.Team
	for _, tm := range teams() {
		if tm.ID != other.ID {
			team = tm
		}
	}
	if team == nil || team.Name != "DBA <b>team</b>" || team.Description != "the database people" || !slices.Equal(team.Members, []int64{ana.ID, ben.ID}) {
		t.Fatalf("created team = %+v", team)
	}
	page := fmt.Sprintf("/teams/%d", team.ID)
	wantRedirect(t, rec, page)
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if strings.Contains(body, "<b>team") {
		t.Error("the team name is not escaped")
	}
	if !strings.Contains(text(body), "Team DBA <b>team</b> created with 2 members.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	if m := text(section(t, body, "team-member-list")); m != xssName+", Ben" {
		t.Errorf("members = %q", m)
	}
	edit := section(t, body, "edit-team")
	for _, want := range []string{`action="` + page + `"`, fmt.Sprintf(`<option value="%d" selected>Ben</option>`, ben.ID), ">the database people</textarea>"} {
		if !strings.Contains(edit, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	list := h.get("/teams").Body.String()
	if row := text(section(t, list, fmt.Sprintf("team-%d", team.ID))); !strings.Contains(row, "DBA <b>team</b> "+xssName+", Ben the database people") {
		t.Errorf("team row = %q", row)
	}

	wantRefused(t, h, []badForm{
		{"edit: taken name", page, with(good, "name", "Other"), 409, "team-name", "Name: a team with this name already exists"},
	})
	rec = h.post(page, url.Values{"name": {"DBA"}, "description": {""}, "members": {fmt.Sprint(ben.ID)}})
	wantRedirect(t, rec, page)
	got, err := h.db.FindTeam(ctx, team.ID)
	if err != nil || got.Name != "DBA" || got.Description != "" || !slices.Equal(got.Members, []int64{ben.ID}) {
		t.Fatalf("edited team = %+v (%v)", got, err)
	}
	if !strings.Contains(h.follow(rec).Body.String(), "Team DBA saved.") {
		t.Error("no confirmation of the edit")
	}
	wantStatus(t, h.get("/teams/987654"), http.StatusNotFound)
	wantStatus(t, h.post("/teams/987654", good), http.StatusNotFound)

	// Delete: a confirmation first, then the team goes and its members stay.
	rec = h.post(page+"/delete", nil)
	wantStatus(t, rec, http.StatusOK)
	if c := text(section(t, rec.Body.String(), "confirm-delete")); !strings.Contains(c, "Delete team DBA?") || !strings.Contains(c, "members stay") {
		t.Errorf("confirmation = %q", c)
	}
	if _, err := h.db.FindTeam(ctx, team.ID); err != nil {
		t.Fatal("the first step deleted the team")
	}
	rec = h.post(page+"/delete", url.Values{"confirm": {"yes"}})
	wantRedirect(t, rec, "/teams")
	if _, err := h.db.FindTeam(ctx, team.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Fatalf("FindTeam after delete: %v", err)
	}
	if _, err := h.db.FindUser(ctx, ben.ID); err != nil {
		t.Fatal("a member went with the team")
	}
	if !strings.Contains(h.follow(rec).Body.String(), "Team DBA deleted.") {
		t.Error("no confirmation of the deletion")
	}
}

// scheduleForm is a filled-in "New schedule" form: Berlin, two layers and
// a blank third block.
//   - layer 0, "weekly": weeks handing over Mondays 09:00, Ben then Ana
//     (with an empty place between them, which is skipped);
//   - layer 1, "business hours": Cy by the day, only 09:00–17:00.
func scheduleFormValues(team *vigil.Team, ana, ben, cy *vigil.User) url.Values {
	return url.Values{
		"name": {"Primary <b>db</b>"}, "description": {"first line"}, "time_zone": {"Europe/Berlin"}, "team_id": {fmt.Sprint(team.ID)},
		"layers.0.name": {"weekly"}, "layers.0.start": {"2026-03-09T09:00"}, "layers.0.turn_unit": {"week"}, "layers.0.turn_count": {"1"},
		"layers.0.members":                {fmt.Sprint(ben.ID), "", fmt.Sprint(ana.ID)},
		"layers.0.restrictions.0.kind":    {""},
		"layers.0.restrictions.0.weekday": {"1"},
		"layers.1.name":                   {"business hours"}, "layers.1.start": {"2026-03-01T09:00"}, "layers.1.turn_unit": {"day"}, "layers.1.turn_count": {"1"},
		"layers.1.members":             {fmt.Sprint(cy.ID), ""},
		"layers.1.restrictions.0.kind": {"daily"}, "layers.1.restrictions.0.weekday": {"1"},
		"layers.1.restrictions.0.start": {"09:00"}, "layers.1.restrictions.0.duration": {"8h"},
		"layers.2.name": {""}, "layers.2.start": {"2026-03-14T09:00"}, "layers.2.turn_unit": {"week"}, "layers.2.turn_count": {"1"},
		"layers.2.members": {"", ""}, "layers.2.restrictions.0.kind": {""},
	}
}

func TestScheduleCreateAndShapeButtons(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	cy := h.user("Cy", "cy@example.com")
	team := &vigil.Team{Name: "DBA"}
	if err := h.db.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	taken := h.rotation("taken", ben.ID)
	count := func() int {
		t.Helper()
		list, err := h.db.ListSchedules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	// The empty form: one layer block whose first turn starts at the
	// latest 09:00 (the clock reads 09:26 UTC).
	body := h.get("/schedules").Body.String()
	noRawXSS(t, body) // Ana is a choice of the member selects
	noInlineCode(t, body)
	form := section(t, body, "new-schedule")
	for _, want := range []string{
		`action="/schedules"`, `name="time_zone" value="UTC"`,
		`name="layers.0.start" type="datetime-local" value="2026-03-14T09:00"`,
		`id="layer-0-member-1" name="layers.0.members"`, `name="layers.0.restrictions.0.kind"`,
		fmt.Sprintf(`<option value="%d">DBA</option>`, team.ID),
		`name="op" value="add_layer" formnovalidate`,
	} {
		if !strings.Contains(form, want) {
			t.Errorf("the New schedule form lacks %s", want)
		}
	}
	if strings.Contains(form, "layers.1.") || strings.Contains(form, "remove_layer") {
		t.Error("the empty form has more than one layer block, or can remove its only one")
	}
	// Enter in a text field presses the first submit button: saving.
	if i, j := strings.Index(form, `type="submit"`), strings.Index(form, `class="default-submit"`); i < 0 || j < 0 || j < i-40 || j > i+40 {
		t.Error("the form's first submit button is not the save button")
	}

	good := scheduleFormValues(team, ana, ben, cy)

	// The shape buttons show the form again as typed, saving nothing.
	for _, c := range []struct {
		op      string
		want    []string
		notWant []string
	}{
		{"add_layer", []string{`id="layer-3"`, `name="layers.3.turn_unit"`, "Layer 4 added below."}, nil},
		{"add_member:1", []string{`id="layer-1-member-2"`}, []string{`id="layer-1-member-3"`}},
		{"add_restriction:0", []string{`id="layer-0-restriction-1-kind"`}, nil},
		{"remove_layer:0", []string{`name="layers.0.name" value="business hours"`, `id="layer-1"`, "Layer 1 removed."}, []string{`value="weekly" maxlength`, `id="layer-2"`}},
		{"remove_layer:9", []string{"That button did nothing"}, nil},
	} {
		t.Run(c.op, func(t *testing.T) {
			rec := h.post("/schedules", with(good, "op", c.op))
			wantStatus(t, rec, http.StatusOK)
			body := rec.Body.String()
			noInlineCode(t, body)
			for _, w := range append(c.want, `value="Primary &lt;b&gt;db&lt;/b&gt;"`, `value="Europe/Berlin"`) {
				if !strings.Contains(body, w) {
					t.Errorf("the form lacks %s", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(body, w) {
					t.Errorf("the form has %s", w)
				}
			}
			if strings.Contains(body, `class="field-error"`) {
				t.Error("a shape button showed errors")
			}
			if !strings.Contains(text(body), "Nothing is saved until you press “Create schedule”.") && c.op != "remove_layer:9" {
				t.Error("the notice does not say nothing was saved")
			}
		})
	}
	// The typed values survive a shape button: Ben, an empty place, Ana.
	body = h.post("/schedules", with(good, "op", "add_layer")).Body.String()
	for i, id := range []int64{ben.ID, 0, ana.ID} {
		sel := section(t, body, fmt.Sprintf("layer-0-member-%d", i))
		if id == 0 {
			if !strings.Contains(sel, `<option value="" selected>`) {
				t.Errorf("place %d is not empty", i)
			}
		} else if !strings.Contains(sel, fmt.Sprintf(`<option value="%d" selected>`, id)) {
			t.Errorf("place %d lost its member", i)
		}
	}
	if !strings.Contains(body, `name="layers.1.restrictions.0.duration" value="8h"`) || !strings.Contains(section(t, body, "layer-1-restriction-0-kind"), `<option value="daily" selected>`) {
		t.Error("the restriction was lost")
	}
	if n := count(); n != 1 {
		t.Fatalf("%d schedules after shape buttons, want 1", n)
	}

	wantRefused(t, h, []badForm{
		{"no name", "/schedules", with(good, "name", ""), 422, "schedule-name", "Name: is required"},
		{"taken name", "/schedules", with(good, "name", taken.Name), 409, "schedule-name", "Name: a schedule with this name already exists"},
		{"unknown zone", "/schedules", with(good, "time_zone", "Mars/Olympus"), 422, "schedule-time-zone", `Time zone: unknown time zone "Mars/Olympus"`},
		{"unknown team", "/schedules", with(good, "team_id", "987654"), 422, "schedule-team", "Team: team 987654 does not exist"},
		{"bad start", "/schedules", with(good, "layers.0.start", "soon"), 422, "layer-0-start", "Layer 1 start: must be a date and time"},
		{"no start", "/schedules", with(good, "layers.1.start", ""), 422, "layer-1-start", "Layer 2 start: is required"},
		{"zero turns", "/schedules", with(good, "layers.0.turn_count", "0"), 422, "layer-0-turn-count", "Layer 1 turn length: must be between 1 and 52 for unit week"},
		{"turns not a number", "/schedules", with(good, "layers.1.turn_count", "two"), 422, "layer-1-turn-count", "Layer 2 turn length: must be a whole number of days"},
		{"bad unit", "/schedules", with(good, "layers.1.turn_unit", "month"), 422, "layer-1-turn-unit", "Layer 2 turn unit: must be one of hour, day, week"},
		{"unknown member", "/schedules", with(good, "layers.1.members", "987654"), 422, "layer-1-members", "Layer 2 members: user 987654 does not exist"},
		// A layer with a name but no one in it; the store counts it as
		// its first layer (the block above it is blank), the form shows
		// it on the block it came from.
		{"no members", "/schedules", with(good, "layers.0.name", "", "layers.0.members", "", "layers.2.name", "third"), 422, "layer-2-members", "Layer 3 members: at least one member is required"},
		{"restriction without kind", "/schedules", with(good, "layers.0.restrictions.0.start", "08:00"), 422, "layer-0-restriction-0-kind", "Layer 1, restriction 1 kind: choose every day or every week"},
		{"restriction without duration", "/schedules", with(good, "layers.1.restrictions.0.duration", ""), 422, "layer-1-restriction-0-duration", "Layer 2, restriction 1 duration: is required"},
		{"restriction bad start", "/schedules", with(good, "layers.1.restrictions.0.start", "25:00"), 422, "layer-1-restriction-0-start", "Layer 2, restriction 1 start: must be a time of day"},
		// The store's restriction index (0) is mapped to the form's row (1).
		{"restriction too long", "/schedules", with(good, "layers.1.restrictions.0.kind", "", "layers.1.restrictions.0.start", "", "layers.1.restrictions.0.duration", "",
			"layers.1.restrictions.1.kind", "daily", "layers.1.restrictions.1.start", "09:00", "layers.1.restrictions.1.duration", "30h"), 422,
			"layer-1-restriction-1-duration", "Layer 2, restriction 2 duration: must be more than 0 and at most 24h0m0s for a daily restriction"},
	}, "name", "layers.0.start", "layers.1.turn_count")
	// Several mistakes in the form itself show at once.
	rec := h.post("/schedules", with(good, "layers.0.start", "soon", "layers.1.turn_count", "x", "time_zone", "Nowhere"))
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	for _, id := range []string{"layer-0-start", "layer-1-turn-count", "schedule-time-zone"} {
		if !errorNextTo(rec.Body.String(), id) {
			t.Errorf("no error next to %s", id)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d schedules after refused forms, want 1", n)
	}

	rec = h.post("/schedules", good)
	wantStatus(t, rec, http.StatusSeeOther)
	list, _ := h.db.ListSchedules(ctx)
	var s *vigil.Schedule
	for _, x := range list {
		if x.ID != taken.ID {
			s = x
		}
	}
	if s == nil {
		t.Fatal("no schedule created")
	}
	page := fmt.Sprintf("/schedules/%d", s.ID)
	wantRedirect(t, rec, page)
	if s.Name != "Primary <b>db</b>" || s.Description != "first line" || s.TimeZone != "Europe/Berlin" || s.TeamID != team.ID || len(s.Layers) != 2 {
		t.Fatalf("created schedule = %+v", s)
	}
	l0, l1 := s.Layers[0], s.Layers[1]
	if l0.Name != "weekly" || !l0.Start.Equal(time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC)) || l0.TurnUnit != vigil.UnitWeek || l0.TurnCount != 1 ||
		!slices.Equal(l0.Members, []int64{ben.ID, ana.ID}) || len(l0.Restrictions) != 0 {
		t.Errorf("layer 0 = %+v", l0)
	}
	wantRestriction := vigil.Restriction{Kind: vigil.RestrictDaily, Start: 9 * 60, Duration: vigil.Duration(8 * time.Hour)}
	if l1.Name != "business hours" || l1.TurnUnit != vigil.UnitDay || !slices.Equal(l1.Members, []int64{cy.ID}) ||
		len(l1.Restrictions) != 1 || l1.Restrictions[0] != wantRestriction {
		t.Errorf("layer 1 = %+v", l1)
	}
	// Saturday 10:26 in Berlin: inside business hours, so Cy is on call.
	body = h.follow(rec).Body.String()
	noRawXSS(t, body)
	if !strings.Contains(text(body), "Schedule Primary <b>db</b> created.") {
		t.Errorf("no confirmation:\n%s", excerpt(body))
	}
	if now := text(section(t, body, "on-call-now")); !strings.Contains(now, "Cy") {
		t.Errorf("on call now = %q, want Cy", now)
	}
	if row := section(t, h.get("/schedules").Body.String(), fmt.Sprintf("schedule-%d", s.ID)); !strings.Contains(row, `href="`+page+`/edit"`) {
		t.Error("the schedule list has no edit link")
	}
}

func TestScheduleEditAndDelete(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user(xssName, "ana@example.com")
	ben := h.user("Ben", "ben@example.com")
	cy := h.user("Cy", "cy@example.com")
	team := &vigil.Team{Name: "DBA"}
	if err := h.db.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.post("/schedules", scheduleFormValues(team, ana, ben, cy)), http.StatusSeeOther)
	list, err := h.db.ListSchedules(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListSchedules: %d %v", len(list), err)
	}
	s := list[0]
	h.rotation("taken", ben.ID)
	ov := &vigil.Override{ScheduleID: s.ID, UserID: ana.ID, Start: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)}
	if err := h.db.CreateOverride(ctx, ov); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/schedules/%d", s.ID)

	// The editor shows the schedule as stored, times in Berlin.
	rec := h.get(page + "/edit")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	noRawXSS(t, body)
	noInlineCode(t, body)
	if !strings.Contains(body, `aria-current="page">Schedules`) {
		t.Error("the Schedules menu entry is not highlighted")
	}
	for _, want := range []string{
		`action="` + page + `"`, `value="Primary &lt;b&gt;db&lt;/b&gt;"`, `value="Europe/Berlin"`, ">first line</textarea>",
		`name="layers.0.start" type="datetime-local" value="2026-03-09T09:00"`,
		`name="layers.1.restrictions.0.start" type="time" value="09:00"`, `name="layers.1.restrictions.0.duration" value="8h"`,
		fmt.Sprintf(`<option value="%d" selected>DBA</option>`, team.ID), `name="op" value="remove_layer:1"`,
		`action="` + page + `/delete"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the editor lacks %s", want)
		}
	}
	if !strings.Contains(section(t, body, "layer-0-member-0"), fmt.Sprintf(`<option value="%d" selected>Ben</option>`, ben.ID)) ||
		!strings.Contains(section(t, body, "layer-0-member-1"), fmt.Sprintf(`<option value="%d" selected>`, ana.ID)) ||
		!strings.Contains(section(t, body, "layer-0-member-2"), `<option value="" selected>`) {
		t.Error("the members are not shown in turn order with a free place after them")
	}
	wantStatus(t, h.get("/schedules/987654/edit"), http.StatusNotFound)

	// A shape button on the edit page stays on it.
	edit := scheduleFormValues(team, ana, ben, cy)
	rec = h.post(page, with(edit, "op", "add_layer"))
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, "Edit schedule") || !strings.Contains(body, `id="layer-3"`) || !strings.Contains(body, "“Save schedule”") {
		t.Error("add layer on the edit page")
	}

	wantRefused(t, h, []badForm{
		{"taken name", page, with(edit, "name", "taken"), 409, "schedule-name", "Name: a schedule with this name already exists"},
		{"bad start", page, with(edit, "layers.1.start", "2026-13-01T09:00"), 422, "layer-1-start", "Layer 2 start: must be a date and time"},
	}, "name")
	if got, _ := h.db.FindSchedule(ctx, s.ID); got.Name != s.Name || !got.UpdatedAt.Equal(s.UpdatedAt) {
		t.Fatalf("a refused edit changed the schedule: %+v", got)
	}

	// Drop the business-hours layer (clear it), rename, move to no team
	// and to New York, where the typed 09:00 now means 09:00 New York time.
	edit = with(edit, "name", "Primary", "team_id", "", "time_zone", "America/New_York",
		"layers.1.name", "", "layers.1.members", "", "layers.1.restrictions.0.kind", "", "layers.1.restrictions.0.start", "", "layers.1.restrictions.0.duration", "")
	rec = h.post(page, edit)
	wantRedirect(t, rec, page)
	got, err := h.db.FindSchedule(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	ny := mustZone("America/New_York")
	if got.Name != "Primary" || got.TeamID != 0 || got.TimeZone != "America/New_York" || len(got.Layers) != 1 ||
		!got.Layers[0].Start.Equal(time.Date(2026, 3, 9, 9, 0, 0, 0, ny)) || !slices.Equal(got.Layers[0].Members, []int64{ben.ID, ana.ID}) {
		t.Fatalf("edited schedule = %+v", got)
	}
	if !strings.Contains(h.follow(rec).Body.String(), "Schedule Primary saved.") {
		t.Error("no confirmation of the edit")
	}
	if l, _ := h.db.ListOverrides(ctx, s.ID, time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); len(l) != 1 {
		t.Error("the edit lost the override")
	}
	wantStatus(t, h.post("/schedules/987654", edit), http.StatusNotFound)

	// Delete is refused, clearly, while a policy pages the schedule.
	p := &vigil.EscalationPolicy{Name: "Checkout <i>pager</i>", Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetSchedule, ID: s.ID}}}}}
	if err := h.db.CreateEscalationPolicy(ctx, p); err != nil {
		t.Fatal(err)
	}
	rec = h.post(page+"/delete", nil)
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	noInlineCode(t, body)
	if c := text(section(t, body, "confirm-delete")); !strings.Contains(c, "Delete schedule Primary?") ||
		!strings.Contains(c, "Escalation policy Checkout <i>pager</i> pages this schedule: remove it from the policy first") ||
		!strings.Contains(c, "1 rotation") {
		t.Errorf("confirmation = %q", c)
	}
	if strings.Contains(body, "<i>pager") {
		t.Error("the policy name is not escaped")
	}
	rec = h.post(page+"/delete", url.Values{"confirm": {"yes"}})
	wantStatus(t, rec, http.StatusConflict)
	if msg := text(section(t, rec.Body.String(), "confirm-delete")); !strings.Contains(msg, `Schedule Primary was not deleted: escalation policy "Checkout <i>pager</i>" pages this schedule: remove it from the policy first.`) {
		t.Errorf("refusal = %q", msg)
	}
	if _, err := h.db.FindSchedule(ctx, s.ID); err != nil {
		t.Fatalf("the schedule was deleted while a policy pages it: %v", err)
	}

	// Without the policy it goes, with its overrides.
	if err := h.db.DeleteEscalationPolicy(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	rec = h.post(page+"/delete", url.Values{"confirm": {"yes"}})
	wantRedirect(t, rec, "/schedules")
	if _, err := h.db.FindSchedule(ctx, s.ID); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Fatalf("FindSchedule after delete: %v", err)
	}
	if !strings.Contains(h.follow(rec).Body.String(), "Schedule Primary deleted.") {
		t.Error("no confirmation of the deletion")
	}
	wantStatus(t, h.post(page+"/delete", url.Values{"confirm": {"yes"}}), http.StatusNotFound)
}

// TestOnCallFormsRefuseCrossSite posts every new form from another site
// and signed out, then checks nothing changed.
func TestOnCallFormsRefuseCrossSite(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	ana := h.user("Ana", "ana@example.com")
	s := h.rotation("primary", ana.ID)
	m := &vigil.ContactMethod{UserID: ana.ID, Type: vigil.ContactEmail, Address: "ana@example.com"}
	if err := h.db.CreateContactMethod(ctx, m); err != nil {
		t.Fatal(err)
	}
	rule := &vigil.NotificationRule{UserID: ana.ID, ContactMethodID: m.ID}
	if err := h.db.CreateNotificationRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	team := &vigil.Team{Name: "DBA", Members: []int64{ana.ID}}
	if err := h.db.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.get("/teams"), http.StatusOK)
	wantRedirect(t, h.do(req{path: "/teams"}), "/login")
	wantRedirect(t, h.do(req{path: fmt.Sprintf("/teams/%d", team.ID)}), "/login")
	wantRedirect(t, h.do(req{path: fmt.Sprintf("/schedules/%d/edit", s.ID)}), "/login")

	yes := url.Values{"confirm": {"yes"}}
	user := fmt.Sprintf("/users/%d", ana.ID)
	cm := fmt.Sprintf("%s/contact-methods/%d", user, m.ID)
	sched := fmt.Sprintf("/schedules/%d", s.ID)
	posts := []struct {
		path string
		form url.Values
	}{
		{"/users", url.Values{"name": {"pwned"}, "email": {"pwned@example.com"}}},
		{user, url.Values{"name": {"pwned"}, "email": {"pwned@example.com"}}},
		{user + "/delete", yes},
		{user + "/contact-methods", url.Values{"type": {"webhook"}, "address": {"https://evil.example/"}}},
		{cm + "/disable", url.Values{}},
		{cm + "/delete", url.Values{}},
		{user + "/notification-rules", url.Values{"contact_method_id": {fmt.Sprint(m.ID)}, "delay": {"1m"}}},
		{fmt.Sprintf("%s/notification-rules/%d/delete", user, rule.ID), url.Values{}},
		{"/teams", url.Values{"name": {"pwned"}}},
		{fmt.Sprintf("/teams/%d", team.ID), url.Values{"name": {"pwned"}}},
		{fmt.Sprintf("/teams/%d/delete", team.ID), yes},
		{"/schedules", url.Values{"name": {"pwned"}, "time_zone": {"UTC"}}},
		{sched, url.Values{"name": {"pwned"}, "time_zone": {"UTC"}}},
		{sched + "/delete", yes},
	}
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, p := range posts {
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: evil}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: %d, want 403", p.path, rec.Code)
		}
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": ""}}); rec.Code != http.StatusForbidden {
			t.Errorf("POST %s with a foreign Origin: %d, want 403", p.path, rec.Code)
		}
		if rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form}); rec.Code != http.StatusUnauthorized {
			t.Errorf("POST %s signed out: %d, want 401", p.path, rec.Code)
		}
	}
	if users, _ := h.db.ListUsers(ctx); len(h.others(users)) != 1 || h.others(users)[0].Name != "Ana" {
		t.Errorf("users changed: %+v", users)
	}
	if list, _ := h.db.ListContactMethods(ctx, ana.ID); len(list) != 1 || list[0].Disabled {
		t.Errorf("contact methods changed: %+v", list)
	}
	if list, _ := h.db.ListNotificationRules(ctx, ana.ID); len(list) != 1 {
		t.Errorf("rules changed: %+v", list)
	}
	if list, _ := h.db.ListTeams(ctx); len(list) != 1 || list[0].Name != "DBA" {
		t.Errorf("teams changed: %+v", list)
	}
	if list, _ := h.db.ListSchedules(ctx); len(list) != 1 || list[0].Name != "primary" {
		t.Errorf("schedules changed: %+v", list)
	}
}
