package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// routeWrappers reads routes.go: for each "METHOD /path" the wrapper that
// checks it (respond, manage, team, admin, self, try, change, public,
// signedIn, …), so the test follows the routes without a copy of them.
func routeWrappers(t *testing.T) map[string]string {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`mux\.Handle\("([A-Z]+ [^"]+)",\s*(\w+)\(`).FindAllStringSubmatch(string(src), -1) {
		out[m[1]] = m[2]
	}
	if len(out) < 50 {
		t.Fatalf("found only %d routes in routes.go: is the pattern still right?", len(out))
	}
	return out
}

// shownForm is one <form method="post"> of a page (or one formaction
// button of it). values is what a browser sends when it is submitted
// untouched; choices are the other submissions it offers: each named
// submit button, each other option of a select, every checkbox ticked,
// every option of a multiple select.
type shownForm struct {
	page, action string
	values       url.Values
	choices      []choice
}

// choice is one other submission of a form; what names the input and
// value it changes, its place numbers left out ("layers.N.members=3"), so
// the same choice in each of a form's rows is tried once.
type choice struct {
	what   string
	values url.Values
}

var (
	formRe     = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	inputRe    = regexp.MustCompile(`(?is)<input\b([^>]*)>`)
	textareaRe = regexp.MustCompile(`(?is)<textarea\b([^>]*)>(.*?)</textarea>`)
	selectRe   = regexp.MustCompile(`(?is)<select\b([^>]*)>(.*?)</select>`)
	optionRe   = regexp.MustCompile(`(?is)<option\b([^>]*)>`)
	buttonRe   = regexp.MustCompile(`(?is)<button\b([^>]*)>`)
	attrRe     = regexp.MustCompile(`([a-zA-Z][\w-]*)(?:="([^"]*)")?`)
	// placeNumber is a row's number in an input's name (layers.0.members).
	placeNumber = regexp.MustCompile(`\.\d+\.`)
)

// attrs reads a tag's attribute text: bare ones (checked, selected,
// multiple) are there with "".
func attrs(text string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRe.FindAllStringSubmatch(text, -1) {
		out[strings.ToLower(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// attr is the value of attribute name in a tag's attribute text; has
// says whether it is there at all.
func attr(text, name string) string { return attrs(text)[name] }

func has(text, name string) bool {
	_, ok := attrs(text)[name]
	return ok
}

// withValue is v with name set to vals.
func withValue(v url.Values, name string, vals ...string) url.Values {
	out := url.Values{}
	for k, x := range v {
		out[k] = slices.Clone(x)
	}
	out[name] = vals
	return out
}

// postForms lists the POST forms of a page.
func postForms(page, body string) []shownForm {
	var out []shownForm
	for _, f := range formRe.FindAllStringSubmatch(body, -1) {
		if !strings.EqualFold(attr(f[1], "method"), "post") {
			continue
		}
		v := url.Values{}
		unticked := url.Values{}
		for _, in := range inputRe.FindAllStringSubmatch(f[2], -1) {
			name, typ := attr(in[1], "name"), strings.ToLower(attr(in[1], "type"))
			if name == "" || typ == "submit" {
				continue
			}
			val := attr(in[1], "value")
			if (typ == "checkbox" || typ == "radio") && val == "" {
				val = "on"
			}
			switch {
			case typ == "checkbox" && !has(in[1], "checked"):
				unticked.Add(name, val)
			case typ == "radio" && !has(in[1], "checked"):
			default:
				v.Add(name, val)
			}
		}
		for _, ta := range textareaRe.FindAllStringSubmatch(f[2], -1) {
			if name := attr(ta[1], "name"); name != "" {
				v.Add(name, html.UnescapeString(strings.TrimPrefix(ta[2], "\n")))
			}
		}
		type sel struct {
			name     string
			options  []string
			multiple bool
		}
		var sels []sel
		for _, m := range selectRe.FindAllStringSubmatch(f[2], -1) {
			s := sel{name: attr(m[1], "name"), multiple: has(m[1], "multiple")}
			if s.name == "" {
				continue
			}
			picked := false
			for _, o := range optionRe.FindAllStringSubmatch(m[2], -1) {
				s.options = append(s.options, attr(o[1], "value"))
				if has(o[1], "selected") {
					v.Add(s.name, attr(o[1], "value"))
					picked = true
				}
			}
			if !picked && len(s.options) > 0 && !s.multiple { // a browser sends the first
				v.Add(s.name, s.options[0])
			}
			sels = append(sels, s)
		}
		var choices []choice
		add := func(name, value string, v url.Values) {
			choices = append(choices, choice{what: placeNumber.ReplaceAllString(name, "N") + "=" + value, values: v})
		}
		if len(unticked) > 0 {
			all := withValue(v, "")
			delete(all, "")
			for name, vals := range unticked {
				all[name] = append(all[name], vals...)
			}
			add("every checkbox", "on", all)
		}
		for _, s := range sels {
			if s.multiple {
				add(s.name, "every option", withValue(v, s.name, s.options...))
				continue
			}
			for _, o := range s.options {
				if len(v[s.name]) == 0 || o != v[s.name][0] {
					add(s.name, o, withValue(v, s.name, o))
				}
			}
		}
		buttons := buttonRe.FindAllStringSubmatch(f[2], -1)
		for _, b := range buttons {
			if name := attr(b[1], "name"); name != "" && attr(b[1], "formaction") == "" {
				add(name, attr(b[1], "value"), withValue(v, name, attr(b[1], "value")))
			}
		}
		action := attr(f[1], "action")
		if action == "" {
			action = page
		}
		out = append(out, shownForm{page: page, action: action, values: v, choices: choices})
		for _, b := range buttons {
			if fa := attr(b[1], "formaction"); fa != "" {
				out = append(out, shownForm{page: page, action: fa, values: v})
			}
		}
	}
	return out
}

// buttonsWorld is what the pages show: two teams (A, which the person
// under test may manage, and B), each with a service, an integration
// key, an open incident, a schedule with an override and a policy; a
// resolved incident; another person; contact methods, rules and tokens;
// a silence, a maintenance window, an inhibition rule, a stakeholder
// group (with the person, for stakeholders) told about an incident.
type buttonsWorld struct {
	ids map[string][]int64 // by the first segment of the page's path
}

func newButtonsWorld(t *testing.T, h *harness, tag string, me *vigil.User, managesA bool) buttonsWorld {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	olga := h.user("olga-"+tag, "olga-"+tag+"@example.com")
	a := &vigil.Team{Name: "team-a-" + tag, Members: []int64{me.ID, olga.ID}}
	if managesA {
		a.Managers = []int64{me.ID}
	}
	b := &vigil.Team{Name: "team-b-" + tag, Members: []int64{olga.ID}}
	must(h.db.CreateTeam(ctx, a))
	must(h.db.CreateTeam(ctx, b))
	w := buttonsWorld{ids: map[string][]int64{
		"users": {me.ID, olga.ID}, "teams": {a.ID, b.ID},
	}}
	for _, tm := range []*vigil.Team{a, b} {
		s := &vigil.Service{Name: "svc-" + tm.Name, TeamID: tm.ID}
		s.Normalize()
		must(h.db.CreateService(ctx, s))
		_, err := h.db.CreateIntegrationKey(ctx, s.ID, "prometheus")
		must(err)
		w.ids["services"] = append(w.ids["services"], s.ID)
		inc := h.trigger(s, vigil.Event{Summary: "down " + tm.Name, DedupKey: "down-" + tm.Name, Severity: vigil.SeverityCritical})
		w.ids["incidents"] = append(w.ids["incidents"], inc.ID)
		sc := &vigil.Schedule{Name: "sched-" + tm.Name, TimeZone: "UTC", TeamID: tm.ID, Layers: []vigil.Layer{{Name: "primary",
			Start: h.clock.Now().Add(-time.Hour), TurnUnit: vigil.UnitWeek, TurnCount: 1, Members: []int64{me.ID, olga.ID}}}}
		must(h.db.CreateSchedule(ctx, sc))
		must(h.db.CreateOverride(ctx, &vigil.Override{ScheduleID: sc.ID, UserID: olga.ID,
			Start: h.clock.Now().Add(24 * time.Hour), End: h.clock.Now().Add(48 * time.Hour)}))
		w.ids["schedules"] = append(w.ids["schedules"], sc.ID)
		p := &vigil.EscalationPolicy{Name: "policy-" + tm.Name, TeamID: tm.ID,
			Steps: []vigil.EscalationStep{{Targets: []vigil.Target{{Type: vigil.TargetSchedule, ID: sc.ID}}}}}
		must(h.db.CreateEscalationPolicy(ctx, p))
		w.ids["escalation-policies"] = append(w.ids["escalation-policies"], p.ID)
	}
	// A resolved incident (for the reopen button), resolved by the admin.
	resolved := h.trigger(h.service("svc-none-"+tag), vigil.Event{Summary: "was down", DedupKey: "was-down-" + tag})
	if rec := h.post(fmt.Sprintf("/incidents/%d/resolve", resolved.ID), nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", rec.Code, excerpt(rec.Body.String()))
	}
	w.ids["incidents"] = append(w.ids["incidents"], resolved.ID)
	for _, u := range []*vigil.User{me, olga} {
		m := &vigil.ContactMethod{UserID: u.ID, Type: vigil.ContactEmail, Address: u.Email}
		must(h.db.CreateContactMethod(ctx, m))
		// And a disabled one, for the Enable button.
		must(h.db.CreateContactMethod(ctx, &vigil.ContactMethod{UserID: u.ID, Type: vigil.ContactSMS, Address: "+14155550100", Disabled: true}))
		must(h.db.CreateNotificationRule(ctx, &vigil.NotificationRule{UserID: u.ID, ContactMethodID: m.ID}))
		_, err := h.db.CreateToken(ctx, vigil.TokenSpec{Name: "laptop", Scopes: []string{vigil.PermRead}, UserID: u.ID})
		must(err)
		// A single sign-on identity, for the Unlink button.
		_, err = h.db.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: "https://idp.example.com", Subject: "sub-" + u.Email, Email: u.Email})
		must(err)
	}
	_, err := h.db.CreateToken(ctx, vigil.TokenSpec{Name: "prometheus", Scopes: []string{vigil.PermIngest}})
	must(err)
	w.ids["silences"] = []int64{h.silence(&vigil.Silence{Matchers: []vigil.SilenceMatcher{eq("env", "staging")}, Comment: "noisy",
		StartsAt: h.clock.Now().Add(-time.Minute)}).ID}
	mw := &vigil.MaintenanceWindow{Name: "deploy-" + tag, ServiceIDs: w.ids["services"][:1], Start: h.clock.Now().Add(-time.Minute), End: h.clock.Now().Add(time.Hour)}
	must(h.db.CreateMaintenanceWindow(ctx, mw))
	w.ids["maintenance"] = []int64{mw.ID}
	rule := &vigil.InhibitRule{Name: "crit mutes warn " + tag, Source: []string{`severity="critical"`}, Target: []string{`severity="warning"`}}
	must(h.db.CreateInhibitRule(ctx, rule))
	w.ids["inhibit-rules"] = []int64{rule.ID}
	g := h.group(&vigil.StakeholderGroup{Name: "Executives " + tag, Channels: []vigil.StakeholderChannel{{Type: "email", Address: "exec@example.com"}}})
	if me.Role == vigil.RoleStakeholder {
		g.Members = []int64{me.ID}
		must(h.db.UpdateStakeholderGroup(vigil.WithViewer(ctx, vigil.SystemViewer), g))
	}
	actx := vigil.WithActor(ctx, vigil.Actor{Name: "alice", Kind: vigil.ActorToken, Source: vigil.SourceWeb})
	_, err = h.db.PostStatusUpdate(actx, w.ids["incidents"][0], vigil.StatusUpdateInput{Message: "Looking into it.", Groups: []string{g.Name}})
	must(err)
	w.ids["groups"] = []int64{g.ID}
	return w
}

// pages fills every signed-in GET route with the world's objects.
func (w buttonsWorld) pages(t *testing.T, wrappers map[string]string) []string {
	t.Helper()
	var out []string
	for pattern, wrapper := range wrappers {
		path, ok := strings.CutPrefix(pattern, "GET ")
		if !ok || wrapper == "public" {
			continue
		}
		if !strings.Contains(path, "{") {
			out = append(out, path)
			continue
		}
		seg := strings.Split(strings.TrimPrefix(path, "/"), "/")[0]
		ids := w.ids[seg]
		if len(ids) == 0 || strings.Count(path, "{") != 1 {
			t.Fatalf("GET %s: the test has no object to fill it with", path)
		}
		for _, id := range ids {
			out = append(out, strings.Replace(path, "{id}", fmt.Sprint(id), 1))
		}
	}
	sort.Strings(out)
	return out
}

// asFresh is h signed in as user in a new session.
func (h *harness) asFresh(user int64) *harness {
	h.t.Helper()
	s, err := h.auth.StartSession(context.Background(), user, auth.Client{Address: "192.0.2.9", UserAgent: "test"})
	if err != nil {
		h.t.Fatal(err)
	}
	other := *h
	other.token = s.Secret
	return &other
}

// destructive forms are posted last, the deepest paths first, so deleting
// an object leaves the forms of its parts tested.
func destructive(action string) bool {
	for _, s := range []string{"/delete", "/revoke", "/expire", "/end", "/logout", "/everywhere"} {
		if strings.HasSuffix(action, s) || strings.HasPrefix(action, s) {
			return true
		}
	}
	return false
}

// TestEveryShownFormMayBeUsed: for each role, with objects on every page
// so their buttons would be drawn, it GETs every signed-in page of the UI,
// submits every POST form on it as a browser would (same origin, its
// values untouched, then each choice it offers: every button, option and
// checkbox) and checks that none is answered 403: a form shown, and every
// choice in it, is one the person may use. Conversely, the forms shown cover every route the
// role passes (so hiding everything would fail), a viewer and a
// stakeholder see no form that changes anything beyond their own
// account, and a team's manager sees their team's forms.
func TestEveryShownFormMayBeUsed(t *testing.T) {
	wrappers := routeWrappers(t)
	h := newHarness(t)
	// Routes no page of this world draws a form for: the sign-in pages and
	// links (public), and the second state of a two-state button.
	notDrawn := map[string]string{
		"POST /account/totp/disable": "two-step sign-in is off: the page offers to turn it on",
	}
	base := []string{"public", "try", "change"}
	for _, c := range []struct {
		name, role string
		managesA   bool
		// may: the wrappers whose routes the role passes (team,
		// onIncident and needs, declaring on a team's service: on team A
		// at least); a form of any other wrapper must not be
		// shown, and every route of these must be drawn somewhere
		// (except notDrawn).
		may []string
	}{
		{"viewer", vigil.RoleViewer, false, base},
		{"stakeholder", vigil.RoleStakeholder, false, []string{"public", "change"}},
		{"responder", vigil.RoleResponder, false, append(base, "respond", "onIncident", "needs", "self")},
		{"team manager", vigil.RoleResponder, true, append(base, "respond", "onIncident", "needs", "self", "team")},
		{"manager", vigil.RoleManager, false, append(base, "respond", "onIncident", "needs", "self", "team", "manage")},
		{"admin", vigil.RoleAdmin, false, append(base, "respond", "onIncident", "needs", "self", "team", "manage", "admin")},
	} {
		// One UI for all, each role with objects of its own made just
		// before its turn (what it deletes is its own), the list pages
		// showing every role's.
		t.Run(c.name, func(t *testing.T) {
			tag := strings.ReplaceAll(c.name, " ", "-")
			who, me := h.signedInAs("me-"+tag, c.role)
			me.Role = c.role
			world := newButtonsWorld(t, h, tag, me, c.managesA)
			var forms []shownForm
			for _, page := range world.pages(t, wrappers) {
				rec := who.get(page)
				if rec.Code != http.StatusOK {
					continue // pages the role may not read are checked elsewhere
				}
				forms = append(forms, postForms(page, rec.Body.String())...)
			}
			if c.role == vigil.RoleStakeholder && len(forms) == 0 {
				t.Fatal("a stakeholder sees no form at all: the account page is missing")
			}
			sort.SliceStable(forms, func(i, j int) bool {
				di, dj := destructive(forms[i].action), destructive(forms[j].action)
				if di != dj {
					return dj
				}
				return di && strings.Count(forms[i].action, "/") > strings.Count(forms[j].action, "/")
			})
			drawn := map[string]bool{}
			tried := map[string]bool{}
			// A destructive form may end the session it is posted from
			// (signing out everywhere): the next one gets a new session.
			from := who
			for _, f := range forms {
				_, pattern := h.mux.Handler(httptest.NewRequest(http.MethodPost, "http://"+testHost+f.action, nil))
				wrapper, known := wrappers[pattern]
				if !known {
					t.Errorf("%s: a form posts to %s, which no route of routes.go takes (%q)", f.page, f.action, pattern)
					continue
				}
				drawn[pattern] = true
				if !slices.Contains(c.may, wrapper) {
					t.Errorf("%s: the %s sees a form to %s (%s), a route they may not use", f.page, c.name, f.action, wrapper)
				}
				// The untouched form once for each action (each object); a
				// choice once for each route.
				tries := []string{f.action + " " + f.values.Encode()}
				for _, ch := range f.choices {
					tries = append(tries, pattern+" "+ch.what)
				}
				for i, ch := range append([]choice{{values: f.values}}, f.choices...) {
					if tried[tries[i]] {
						continue
					}
					tried[tries[i]] = true
					v := ch.values
					rec := from.post(f.action, v)
					if destructive(f.action) {
						from = h.asFresh(me.ID)
					}
					if rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized {
						t.Errorf("%s: the %s's form to %s (values %v) is answered %d: %s", f.page, c.name, f.action, v, rec.Code, refusal(rec.Body.String()))
					}
				}
			}
			for pattern, wrapper := range wrappers {
				if !strings.HasPrefix(pattern, "POST ") || wrapper == "public" || !slices.Contains(c.may, wrapper) || notDrawn[pattern] != "" || drawn[pattern] {
					continue
				}
				t.Errorf("the %s is shown no form for %s (%s): the page hides a button they may use, or the world lacks its object", c.name, pattern, wrapper)
			}
		})
	}
}

// refusal is the message of an error page.
func refusal(body string) string {
	if m := regexp.MustCompile(`(?s)<h1>[^<]*</h1>\s*<p>([^<]*)</p>`).FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return excerpt(body)
}

// A page that is a form and nothing else needs what its form's route
// needs: a viewer is refused the new silence page, and the edit page of a
// schedule is refused to all but its team's managers.
func TestFormPagesNeedTheFormsRoute(t *testing.T) {
	h := newHarness(t)
	viewer, _ := h.signedInAs("vera", vigil.RoleViewer)
	responder, _ := h.signedInAs("rob", vigil.RoleResponder)
	boss, bu := h.signedInAs("mia", vigil.RoleResponder)
	a := &vigil.Team{Name: "a", Managers: []int64{bu.ID}}
	if err := h.db.CreateTeam(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	s := h.rotation("primary", bu.ID)
	s.TeamID = a.ID
	if err := h.db.UpdateSchedule(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	edit := fmt.Sprintf("/schedules/%d/edit", s.ID)
	for _, c := range []struct {
		who  *harness
		path string
		want int
	}{
		{viewer, "/silences/new", http.StatusForbidden},
		{responder, "/silences/new", http.StatusOK},
		{viewer, edit, http.StatusForbidden},
		{responder, edit, http.StatusForbidden},
		{boss, edit, http.StatusOK},
		{h, edit, http.StatusOK},
	} {
		if rec := c.who.get(c.path); rec.Code != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, rec.Code, c.want)
		}
	}
}
