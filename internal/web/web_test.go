package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/storetest"
	"github.com/vigil-oss/vigil/internal/vigil"
	"github.com/vigil-oss/vigil/internal/web"
)

const testHost = "vigil.test"

// harness is the UI on a real SQLite store, signed in as "alice", an
// admin with a password; token is her session's secret (the cookie).
type harness struct {
	t     *testing.T
	db    *store.DB
	clock *vigil.ManualClock
	mux   *http.ServeMux
	auth  *auth.Authenticator
	alice *vigil.User
	token string
}

// cheapPasswords keep argon2id fast in tests (the costs travel in the hash).
var cheapPasswords = auth.PasswordParams{Memory: 64, Time: 1, Threads: 1}

// alicePassword is the harness user's password.
const alicePassword = "alice's long password"

// newAuth is the authenticator the harness serves with. Sessions last
// for years: tests move the clock by weeks.
func newAuth(st vigil.Store, clock vigil.Clock) *auth.Authenticator {
	const years = 10 * 365 * 24 * time.Hour
	return &auth.Authenticator{Tokens: st, Accounts: st, Clock: clock, Passwords: cheapPasswords,
		Sessions: vigil.SessionTimes{Idle: years, Absolute: years}}
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	clock := vigil.NewManualClock(time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC))
	dir := storetest.SQLiteDir(t, func(dir string) (io.Closer, error) { return store.Open(ctx, store.Config{DataDir: dir}) })
	db, err := store.Open(ctx, store.Config{DataDir: dir, Clock: clock})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	a := newAuth(db, clock)
	alice := &vigil.User{Name: "alice", Email: "alice@example.com"}
	if err := a.CreateFirstAdmin(ctx, alice, alicePassword); err != nil {
		t.Fatalf("CreateFirstAdmin: %v", err)
	}
	s, err := a.StartSession(ctx, alice.ID, auth.Client{Address: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	ui, err := web.New(web.Deps{
		Store:     db,
		Auth:      a,
		Clock:     clock,
		PublicURL: "http://" + testHost,
	})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	return &harness{t: t, db: db, clock: clock, mux: mux, auth: a, alice: alice, token: s.Secret}
}

// others leaves the signed-in user out of a list of users.
func (h *harness) others(users []*vigil.User) []*vigil.User {
	var out []*vigil.User
	for _, u := range users {
		if u.ID != h.alice.ID {
			out = append(out, u)
		}
	}
	return out
}

// use serves the UI from st instead of the plain store.
func (h *harness) use(st vigil.Store) {
	h.t.Helper()
	ui, err := web.New(web.Deps{Store: st, Auth: newAuth(st, h.clock), Clock: h.clock, PublicURL: "http://" + testHost})
	if err != nil {
		h.t.Fatalf("web.New: %v", err)
	}
	h.mux = http.NewServeMux()
	ui.Register(h.mux)
}

// req describes one request to the UI.
type req struct {
	method  string
	path    string
	form    url.Values
	signed  bool // send the session cookie
	headers map[string]string
	cookies []*http.Cookie
}

func (h *harness) do(r req) *httptest.ResponseRecorder {
	h.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	hr := httptest.NewRequest(r.method, "http://"+testHost+r.path, body)
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.method == http.MethodPost {
		// What a browser sends for a form on the same origin.
		hr.Header.Set("Origin", "http://"+testHost)
		hr.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	if r.signed {
		hr.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: h.token})
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.mux.ServeHTTP(rec, hr)
	return rec
}

func (h *harness) get(path string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.do(req{path: path, signed: true})
}

func (h *harness) post(path string, form url.Values) *httptest.ResponseRecorder {
	h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return h.do(req{method: http.MethodPost, path: path, form: form, signed: true})
}

func (h *harness) service(name string) *vigil.Service {
	h.t.Helper()
	s := &vigil.Service{Name: name, Description: "the " + name + " service"}
	s.Normalize()
	if err := h.db.CreateService(context.Background(), s); err != nil {
		h.t.Fatalf("CreateService: %v", err)
	}
	return s
}

// trigger sends one alert event and returns the incident it landed in.
func (h *harness) trigger(s *vigil.Service, e vigil.Event) *vigil.Incident {
	h.t.Helper()
	ctx := context.Background()
	e.ServiceID = s.ID
	e.Normalize()
	if e.DedupKey == "" {
		e.DedupKey = fmt.Sprintf("key-%d", time.Now().UnixNano())
	}
	res, err := h.db.ProcessEvents(ctx, []*vigil.Event{&e})
	if err != nil {
		h.t.Fatalf("ProcessEvents: %v", err)
	}
	inc, err := h.db.FindIncidentByID(ctx, res[0].IncidentID)
	if err != nil {
		h.t.Fatalf("FindIncidentByID(%d): %v", res[0].IncidentID, err)
	}
	return inc
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, want int) {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status = %d, want %d; body:\n%s", rec.Code, want, excerpt(rec.Body.String()))
	}
}

func wantRedirect(t *testing.T, rec *httptest.ResponseRecorder, location string) {
	t.Helper()
	wantStatus(t, rec, http.StatusSeeOther)
	if got := rec.Header().Get("Location"); got != location {
		t.Fatalf("Location = %q, want %q", got, location)
	}
}

func excerpt(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

func TestPagesNeedSession(t *testing.T) {
	h := newHarness(t)
	s := h.service("checkout")
	inc := h.trigger(s, vigil.Event{Summary: "payment provider down", Severity: vigil.SeverityCritical})

	pages := []string{
		"/incidents",
		"/incidents?status=open&severity=critical&service=" + fmt.Sprint(s.ID) + "&q=payment&page=1",
		fmt.Sprintf("/incidents/%d", inc.ID),
		"/services",
		fmt.Sprintf("/services/%d", s.ID),
	}
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			rec := h.get(p)
			wantStatus(t, rec, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if !strings.Contains(rec.Body.String(), "Sign out") {
				t.Errorf("signed-in page has no sign-out button")
			}
			wantRedirect(t, h.do(req{path: p}), "/login")
			// A cookie with an unknown token is no better, and is cleared.
			rec = h.do(req{path: p, cookies: []*http.Cookie{{Name: auth.SessionCookie, Value: "vgt_forged"}}})
			wantRedirect(t, rec, "/login")
			if c := findCookie(rec, auth.SessionCookie); c == nil || c.MaxAge >= 0 {
				t.Errorf("bad session cookie not cleared: %+v", c)
			}
		})
	}

	wantRedirect(t, h.do(req{path: "/"}), "/incidents")
	wantStatus(t, h.do(req{path: "/login"}), http.StatusOK)

	// A change without a session is refused, not redirected.
	rec := h.do(req{method: http.MethodPost, path: fmt.Sprintf("/incidents/%d/acknowledge", inc.ID), form: url.Values{}})
	wantStatus(t, rec, http.StatusUnauthorized)
	// htmx polling with an ended session navigates to the sign-in page.
	rec = h.do(req{path: "/incidents", headers: map[string]string{"HX-Request": "true"}})
	wantStatus(t, rec, http.StatusUnauthorized)
	if got := rec.Header().Get("HX-Redirect"); got != "/login" {
		t.Errorf("HX-Redirect = %q, want /login", got)
	}
}

func findCookie(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSecureCookies(t *testing.T) {
	h := newHarness(t)
	ui, err := web.New(web.Deps{Store: h.db, Auth: newAuth(h.db, h.clock), SecureCookies: true})
	if err != nil {
		t.Fatal(err)
	}
	h.mux = http.NewServeMux()
	ui.Register(h.mux)
	rec := h.do(req{method: http.MethodPost, path: "/login", form: url.Values{"login": {"alice"}, "password": {alicePassword}}})
	wantRedirect(t, rec, "/incidents")
	if c := findCookie(rec, auth.SessionCookie); c == nil || !c.Secure {
		t.Errorf("cookie not Secure: %+v", c)
	}
}

// TestEscaping is catalog H4: text from senders is data, never markup, and
// only http(s) links become links.
func TestEscaping(t *testing.T) {
	h := newHarness(t)
	s := h.service(`<b>svc</b>`)
	const (
		script = `<script>alert(1)</script>`
		img    = `<img src=x onerror=alert(1)>`
	)
	// The store refuses links that are not http(s) (vigil.ValidateLink)...
	bad := []vigil.Link{
		{Href: "javascript:alert(1)", Text: "click me"},
		{Href: "JaVaScRiPt:alert(2)", Text: "click me too"},
		{Href: "data:text/html,<script>alert(3)</script>", Text: "data"},
	}
	for _, l := range bad {
		e := &vigil.Event{ServiceID: s.ID, Summary: "x", DedupKey: "x", Links: []vigil.Link{l}}
		e.Normalize()
		if _, err := h.db.ProcessEvents(context.Background(), []*vigil.Event{e}); vigil.ErrorCode(err) != vigil.CodeInvalid {
			t.Errorf("store accepted link %q: %v", l.Href, err)
		}
	}
	inc := h.trigger(s, vigil.Event{
		Summary:  script,
		DedupKey: img,
		Severity: vigil.SeverityCritical,
		Labels:   map[string]string{"host": img, `"><svg onload=alert(1)>`: "x"},
		Links:    []vigil.Link{{Href: "https://runbooks.example/db?a=1&b=2", Text: img}},
	})
	// ...and the page does not trust the store: rows written before that
	// check existed, or by hand, must not become links either.
	h.use(taintedStore{DB: h.db, links: bad})
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorToken, Name: img, Source: vigil.SourceWeb})
	if _, err := h.db.UpdateIncident(ctx, inc.ID, vigil.IncidentUpdate{Title: ptr(script + img)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.db.AddNote(ctx, inc.ID, "see "+script+" and "+img); err != nil {
		t.Fatal(err)
	}

	for _, p := range []string{"/incidents", fmt.Sprintf("/incidents/%d", inc.ID), "/services", fmt.Sprintf("/services/%d", s.ID)} {
		t.Run(p, func(t *testing.T) {
			rec := h.get(p)
			wantStatus(t, rec, http.StatusOK)
			body := rec.Body.String()
			for _, bad := range []string{"<script>alert", "<img src=x", "<svg", "<b>svc", "onerror=alert(1)>"} {
				if strings.Contains(body, bad) {
					t.Errorf("page contains unescaped %q", bad)
				}
			}
			if strings.Contains(strings.ToLower(body), "javascript:") {
				t.Errorf("page contains a javascript: URL")
			}
			if strings.Contains(body, `href="data:`) {
				t.Errorf("page contains a data: link")
			}
		})
	}
	body := h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&lt;img src=x onerror=alert(1)&gt;",
		`href="https://runbooks.example/db?a=1&amp;b=2"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	if n := strings.Count(body, `rel="noopener noreferrer nofollow"`); n != 1 {
		t.Errorf("incident page has %d alert links, want 1 (the https one)", n)
	}
}

func ptr[T any](v T) *T { return &v }

// taintedStore returns alerts carrying extra links the store would refuse.
type taintedStore struct {
	*store.DB
	links []vigil.Link
}

func (s taintedStore) FindAlerts(ctx context.Context, f vigil.AlertFilter) ([]*vigil.Alert, int, error) {
	alerts, n, err := s.DB.FindAlerts(ctx, f)
	for _, a := range alerts {
		a.Links = append(append([]vigil.Link(nil), s.links...), a.Links...)
	}
	return alerts, n, err
}

func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t)
	s := h.service("api")
	inc := h.trigger(s, vigil.Event{Summary: "5xx rate high"})
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

	cases := []struct {
		name string
		rec  *httptest.ResponseRecorder
	}{
		{"login", h.do(req{path: "/login"})},
		{"login failed", h.do(req{method: http.MethodPost, path: "/login", form: url.Values{"token": {"nope"}}})},
		{"incidents", h.get("/incidents")},
		{"fragment", h.do(req{path: "/incidents", signed: true, headers: map[string]string{"HX-Request": "true"}})},
		{"incident", h.get(fmt.Sprintf("/incidents/%d", inc.ID))},
		{"services", h.get("/services")},
		{"service", h.get(fmt.Sprintf("/services/%d", s.ID))},
		{"not found", h.get("/incidents/987654")},
		{"declare invalid", h.post("/incidents", url.Values{"service_id": {fmt.Sprint(s.ID)}})},
		{"cross-site", h.do(req{method: http.MethodPost, path: "/logout", form: url.Values{}, headers: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}})},
		{"redirect", h.do(req{path: "/incidents"})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hd := c.rec.Header()
			for k, want := range map[string]string{
				"Content-Security-Policy": csp,
				"X-Frame-Options":         "DENY",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			} {
				if got := hd.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if c.rec.Code != http.StatusSeeOther {
				if cc := hd.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("Cache-Control = %q, want no-store", cc)
				}
			}
		})
	}

	// CSP forbids inline code: the pages must not need any.
	body := h.get(fmt.Sprintf("/incidents/%d", inc.ID)).Body.String()
	if regexp.MustCompile(`<script>|<script [^>]*>[^<]|<style|\sstyle=|\son[a-z]+=`).MatchString(body) {
		t.Errorf("page has inline script or style:\n%s", excerpt(body))
	}
	if !strings.Contains(body, `<meta name="htmx-config" content='{"includeIndicatorStyles":false`) {
		t.Errorf("htmx is not told to leave styles alone")
	}
}

func TestStaticAssets(t *testing.T) {
	h := newHarness(t)
	body := h.do(req{path: "/login"}).Body.String()
	for _, re := range []string{`href="(/static/app\.[0-9a-f]{12}\.css)"`, `src="(/static/htmx\.min\.[0-9a-f]{12}\.js)"`} {
		m := regexp.MustCompile(re).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no asset matching %s in:\n%s", re, excerpt(body))
		}
		rec := h.do(req{path: m[1]})
		wantStatus(t, rec, http.StatusOK)
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control = %q", m[1], cc)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", m[1])
		}
		if rec.Body.Len() < 100 {
			t.Errorf("%s: body is %d bytes", m[1], rec.Body.Len())
		}
	}
	wantStatus(t, h.do(req{path: "/static/app.css"}), http.StatusNotFound)
	wantStatus(t, h.do(req{path: "/static/app.000000000000.css"}), http.StatusNotFound)
}

// TestCrossSiteRefused: another site cannot make a signed-in browser change
// anything, even when the cookie is sent along.
func TestCrossSiteRefused(t *testing.T) {
	h := newHarness(t)
	s := h.service("db")
	inc := h.trigger(s, vigil.Event{Summary: "replication lag"})
	evil := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}

	posts := []struct {
		path string
		form url.Values
	}{
		{fmt.Sprintf("/incidents/%d/acknowledge", inc.ID), url.Values{}},
		{fmt.Sprintf("/incidents/%d/resolve", inc.ID), url.Values{}},
		{fmt.Sprintf("/incidents/%d/notes", inc.ID), url.Values{"body": {"pwned"}}},
		{fmt.Sprintf("/incidents/%d", inc.ID), url.Values{"title": {"pwned"}, "severity": {"info"}}},
		{"/incidents", url.Values{"service_id": {fmt.Sprint(s.ID)}, "title": {"pwned"}}},
		{"/services", url.Values{"name": {"pwned"}}},
		{fmt.Sprintf("/services/%d/integration-keys", s.ID), url.Values{"name": {"pwned"}}},
		{"/login", url.Values{"login": {"alice"}, "password": {alicePassword}}},
		{"/logout", url.Values{}},
		{"/logout/everywhere", url.Values{}},
		{"/account/password", url.Values{"current": {alicePassword}, "password": {"pwned pwned pwned"}, "password2": {"pwned pwned pwned"}}},
		{fmt.Sprintf("/users/%d/password-reset", h.alice.ID), url.Values{}},
	}
	for _, p := range posts {
		rec := h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: evil})
		if rec.Code != http.StatusForbidden {
			t.Errorf("POST %s from another site: status %d, want 403", p.path, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "vgi_") || strings.Contains(rec.Body.String(), "vgr_") || findCookie(rec, auth.SessionCookie) != nil {
			t.Errorf("POST %s from another site had an effect", p.path)
		}
		// Without Sec-Fetch-Site, the Origin alone gives it away.
		rec = h.do(req{method: http.MethodPost, path: p.path, form: p.form, signed: true, headers: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": ""}})
		if rec.Code != http.StatusForbidden {
			t.Errorf("POST %s with a foreign Origin: status %d, want 403", p.path, rec.Code)
		}
	}
	got, err := h.db.FindIncidentByID(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != vigil.IncidentTriggered || got.Title != "replication lag" {
		t.Errorf("incident changed: %+v", got)
	}
	tl, _ := h.db.FindTimeline(context.Background(), inc.ID)
	for _, e := range tl {
		if e.Kind == vigil.EntryNote {
			t.Errorf("a cross-site note was written: %+v", e)
		}
	}
	if _, n, _ := h.db.FindServices(context.Background(), vigil.ServiceFilter{}); n != 1 {
		t.Errorf("%d services, want 1", n)
	}
	wantStatus(t, h.get("/account"), http.StatusOK) // still signed in, same password
}

func TestIncidentLifecycleFromForms(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	s := h.service("search")
	inc := h.trigger(s, vigil.Event{Summary: "index stale", Severity: vigil.SeverityWarning})
	page := fmt.Sprintf("/incidents/%d", inc.ID)

	body := h.get(page).Body.String()
	for _, want := range []string{`action="` + page + `/acknowledge"`, `action="` + page + `/resolve"`} {
		if !strings.Contains(body, want) {
			t.Errorf("triggered incident page lacks %s", want)
		}
	}
	if strings.Contains(body, `/reopen"`) {
		t.Errorf("triggered incident offers reopen")
	}

	h.clock.Advance(2 * time.Minute)
	rec := h.post(page+"/acknowledge", nil)
	wantRedirect(t, rec, page)
	fl := findCookie(rec, "vigil_flash")
	if fl == nil {
		t.Fatal("no flash message")
	}
	rec = h.do(req{path: page, signed: true, cookies: []*http.Cookie{fl}})
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if !strings.Contains(body, "Incident #"+fmt.Sprint(inc.ID)+" acknowledged.") {
		t.Errorf("flash message not shown")
	}
	if c := findCookie(rec, "vigil_flash"); c == nil || c.MaxAge >= 0 {
		t.Errorf("flash not cleared after showing: %+v", c)
	}
	if !strings.Contains(body, `id="incident-status">acknowledged<`) || strings.Contains(body, page+"/acknowledge") {
		t.Errorf("acknowledged incident page is wrong:\n%s", excerpt(body))
	}

	got, err := h.db.FindIncidentByID(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != vigil.IncidentAcknowledged || got.AcknowledgedBy != "alice" {
		t.Errorf("after acknowledge: status %q by %q", got.Status, got.AcknowledgedBy)
	}
	entry := lastEntry(t, h, inc.ID, vigil.EntryAcknowledged)
	if entry.Source != vigil.SourceWeb || entry.Actor != "alice" {
		t.Errorf("acknowledged entry: source %q actor %q, want web/alice", entry.Source, entry.Actor)
	}

	// Note, then title and severity.
	wantRedirect(t, h.post(page+"/notes", url.Values{"body": {"rebuilding the index"}}), page)
	if e := lastEntry(t, h, inc.ID, vigil.EntryNote); e.Source != vigil.SourceWeb || !strings.Contains(e.Message, "rebuilding") {
		t.Errorf("note entry: %+v", e)
	}
	rec = h.post(page+"/notes", url.Values{"body": {"   "}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), `class="field-error"`) {
		t.Errorf("empty note: no field error")
	}

	wantRedirect(t, h.post(page, url.Values{"title": {"search index stale"}, "severity": {"critical"}}), page)
	got, _ = h.db.FindIncidentByID(ctx, inc.ID)
	if got.Title != "search index stale" || got.Severity != vigil.SeverityCritical {
		t.Errorf("after update: %q %q", got.Title, got.Severity)
	}
	rec = h.post(page, url.Values{"title": {""}, "severity": {"critical"}})
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !errorNextTo(rec.Body.String(), "edit-title") {
		t.Errorf("empty title: error not next to the title field:\n%s", excerpt(rec.Body.String()))
	}
	wantStatus(t, h.post(page, url.Values{"title": {"x"}, "severity": {"apocalyptic"}}), http.StatusUnprocessableEntity)

	// Resolve, then acknowledging is refused with a message, then reopen.
	wantRedirect(t, h.post(page+"/resolve", nil), page)
	rec = h.post(page+"/acknowledge", nil)
	wantRedirect(t, rec, page)
	if fl := findCookie(rec, "vigil_flash"); fl == nil || !strings.HasPrefix(fl.Value, "error.") {
		t.Errorf("acknowledging a resolved incident: flash %+v", fl)
	}
	body = h.get(page).Body.String()
	if !strings.Contains(body, page+`/reopen"`) || strings.Contains(body, page+`/resolve"`) {
		t.Errorf("resolved incident page offers the wrong actions")
	}
	wantRedirect(t, h.post(page+"/reopen", nil), page)
	got, _ = h.db.FindIncidentByID(ctx, inc.ID)
	if got.Status != vigil.IncidentTriggered {
		t.Errorf("after reopen: %q", got.Status)
	}
	for _, kind := range []string{vigil.EntryResolved, vigil.EntryReopened, vigil.EntryTitleChanged, vigil.EntrySeverityChanged} {
		if e := lastEntry(t, h, inc.ID, kind); e.Source != vigil.SourceWeb {
			t.Errorf("%s entry has source %q", kind, e.Source)
		}
	}
}

func lastEntry(t *testing.T, h *harness, id int64, kind string) *vigil.TimelineEntry {
	t.Helper()
	tl, err := h.db.FindTimeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i].Kind == kind {
			return tl[i]
		}
	}
	t.Fatalf("no %s entry in %s", kind, mustJSON(tl))
	return nil
}

func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestIncidentListFragment(t *testing.T) {
	h := newHarness(t)
	s := h.service("queue")
	inc := h.trigger(s, vigil.Event{Summary: "consumers stuck"})

	full := h.get("/incidents?status=open").Body.String()
	if !strings.Contains(full, `hx-get="/incidents?status=open"`) || !strings.Contains(full, `hx-trigger="every 5s"`) {
		t.Errorf("list has no live refresh:\n%s", excerpt(full))
	}

	for _, r := range []req{
		{path: "/incidents?status=open", signed: true, headers: map[string]string{"HX-Request": "true"}},
		{path: "/incidents?status=open&partial=1", signed: true},
	} {
		rec := h.do(r)
		wantStatus(t, rec, http.StatusOK)
		body := strings.TrimSpace(rec.Body.String())
		if !strings.HasPrefix(body, "<tr") || !strings.HasSuffix(body, "</tr>") {
			t.Errorf("%s: fragment is not just rows:\n%s", r.path, excerpt(body))
		}
		for _, bad := range []string{"<html", "<head", "<form", "<thead", "<table", "<tbody"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: fragment contains %s", r.path, bad)
			}
		}
		if !strings.Contains(body, fmt.Sprintf(`href="/incidents/%d"`, inc.ID)) || !strings.Contains(body, "consumers stuck") {
			t.Errorf("%s: fragment lacks the incident", r.path)
		}
		if !strings.Contains(rec.Header().Get("Vary"), "HX-Request") {
			t.Errorf("%s: no Vary: HX-Request", r.path)
		}
	}
	// A filter that matches nothing gives an empty-state row.
	rec := h.do(req{path: "/incidents?status=resolved", signed: true, headers: map[string]string{"HX-Request": "true"}})
	if !strings.Contains(rec.Body.String(), "No incident matches") {
		t.Errorf("empty fragment:\n%s", rec.Body.String())
	}
}

func TestIncidentListFiltersAndPages(t *testing.T) {
	h := newHarness(t)
	a, b := h.service("alpha"), h.service("beta")
	for i := range 30 {
		h.trigger(a, vigil.Event{Summary: fmt.Sprintf("alpha problem %02d", i), DedupKey: fmt.Sprint("a", i)})
		h.clock.Advance(10 * time.Minute) // past the grouping window: one incident each
	}
	h.trigger(b, vigil.Event{Summary: "beta meltdown", Severity: vigil.SeverityCritical})

	body := h.get("/incidents").Body.String()
	if !strings.Contains(body, "Page 1 of 2") || !strings.Contains(body, `href="/incidents?page=2"`) {
		t.Errorf("no pager on the first page")
	}
	body = h.get("/incidents?page=2").Body.String()
	if !strings.Contains(body, "Page 2 of 2") || !strings.Contains(body, `href="/incidents"`) {
		t.Errorf("page 2 is wrong")
	}
	body = h.get(fmt.Sprintf("/incidents?service=%d", b.ID)).Body.String()
	if !strings.Contains(body, "beta meltdown") || strings.Contains(body, "alpha problem") {
		t.Errorf("service filter does not filter")
	}
	body = h.get("/incidents?severity=critical").Body.String()
	if !strings.Contains(body, "beta meltdown") || strings.Contains(body, "alpha problem") {
		t.Errorf("severity filter does not filter")
	}
	body = h.get("/incidents?q=problem+07").Body.String()
	if !strings.Contains(body, "alpha problem 07") || strings.Contains(body, "alpha problem 08") {
		t.Errorf("text filter does not filter")
	}

	// Bad input is never a 500.
	for _, p := range []string{
		"/incidents?status=%3Cx%3E&service=abc&severity=nuclear&page=-3",
		"/incidents?page=99999999999999999999",
		"/incidents?page=40",
		"/incidents?q=%25_%27%22%3B--",
		"/incidents?service=-1",
		"/incidents/abc",
		"/incidents/0",
		"/incidents/-5",
		"/incidents/99999999999999999999",
		"/incidents/424242",
		"/services/x",
		"/services/424242",
	} {
		rec := h.get(p)
		if rec.Code >= 500 {
			t.Errorf("GET %s: %d", p, rec.Code)
		}
		if strings.HasPrefix(p, "/incidents/") || strings.HasPrefix(p, "/services/") {
			if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "Not found") {
				t.Errorf("GET %s: %d, want the 404 page", p, rec.Code)
			}
		}
	}
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/incidents/abc/acknowledge", nil},
		{"/incidents/424242/acknowledge", nil},
		{"/incidents/424242/notes", url.Values{"body": {"x"}}},
		{"/incidents/424242", url.Values{"title": {"x"}}},
		{"/services/424242/integration-keys", url.Values{"name": {"x"}}},
		{"/services/424242/integration-keys/1/revoke", nil},
		{fmt.Sprintf("/services/%d/integration-keys/424242/revoke", a.ID), nil},
	} {
		rec := h.post(p.path, p.form)
		if rec.Code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", p.path, rec.Code)
		}
	}
	rec := h.do(req{method: http.MethodPost, path: "/incidents", signed: true,
		form: url.Values{"title": {strings.Repeat("x", 300<<10)}}})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("huge form: %d, want 413", rec.Code)
	}
}

func TestDeclareIncident(t *testing.T) {
	h := newHarness(t)
	s := h.service("billing")

	cases := []struct {
		name  string
		form  url.Values
		field string // the input the error must sit next to
	}{
		{"no service", url.Values{"title": {"x"}}, "declare-service"},
		{"unknown service", url.Values{"service_id": {"424242"}, "title": {"x"}}, "declare-service"},
		{"no title", url.Values{"service_id": {fmt.Sprint(s.ID)}, "title": {"  "}}, "declare-title"},
		{"bad severity", url.Values{"service_id": {fmt.Sprint(s.ID)}, "title": {"x"}, "severity": {"meh"}}, "declare-severity"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := h.post("/incidents", c.form)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			if !errorNextTo(rec.Body.String(), c.field) {
				t.Errorf("error not next to %s:\n%s", c.field, excerpt(rec.Body.String()))
			}
		})
	}

	rec := h.post("/incidents", url.Values{"service_id": {fmt.Sprint(s.ID)}, "title": {"invoices not sent"}, "severity": {"critical"}, "description": {"since 09:00"}})
	wantStatus(t, rec, http.StatusSeeOther)
	incs, _, err := h.db.FindIncidents(context.Background(), vigil.IncidentFilter{})
	if err != nil || len(incs) != 1 {
		t.Fatalf("FindIncidents: %v %d", err, len(incs))
	}
	if loc := rec.Header().Get("Location"); loc != fmt.Sprintf("/incidents/%d", incs[0].ID) {
		t.Errorf("Location = %q", loc)
	}
	if incs[0].Severity != vigil.SeverityCritical || incs[0].Description != "since 09:00" {
		t.Errorf("declared: %+v", incs[0])
	}
	if e := lastEntry(t, h, incs[0].ID, vigil.EntryCreated); e.Source != vigil.SourceWeb {
		t.Errorf("created entry source %q", e.Source)
	}
}

func TestServices(t *testing.T) {
	h := newHarness(t)

	rec := h.post("/services", url.Values{"name": {"payments"}, "description": {"card payments"}, "grouping.mode": {"labels"}, "grouping.labels": {"cluster, alertname"}, "auto_resolve": {"1"}})
	wantStatus(t, rec, http.StatusSeeOther)
	ss, _, err := h.db.FindServices(context.Background(), vigil.ServiceFilter{})
	if err != nil || len(ss) != 1 {
		t.Fatalf("FindServices: %v %d", err, len(ss))
	}
	s := ss[0]
	if s.Grouping.Mode != vigil.GroupByLabels || len(s.Grouping.Labels) != 2 || !s.AutoResolve {
		t.Errorf("created: %+v", s)
	}
	page := fmt.Sprintf("/services/%d", s.ID)
	if loc := rec.Header().Get("Location"); loc != page {
		t.Errorf("Location = %q", loc)
	}

	for _, c := range []struct {
		form   url.Values
		status int
		field  string
	}{
		{url.Values{"name": {""}}, http.StatusUnprocessableEntity, "service-name"},
		{url.Values{"name": {"payments"}, "grouping.mode": {"time"}}, http.StatusConflict, "service-name"},
		{url.Values{"name": {"x"}, "grouping.mode": {"time"}, "grouping.window": {"soon"}}, http.StatusUnprocessableEntity, "service-window"},
		{url.Values{"name": {"x"}, "grouping.mode": {"labels"}}, http.StatusUnprocessableEntity, "service-labels"},
		{url.Values{"name": {"x"}, "grouping.mode": {"chaos"}}, http.StatusUnprocessableEntity, "service-mode"},
	} {
		rec := h.post("/services", c.form)
		wantStatus(t, rec, c.status)
		if !errorNextTo(rec.Body.String(), c.field) {
			t.Errorf("%v: error not next to %s:\n%s", c.form, c.field, excerpt(rec.Body.String()))
		}
	}

	// A key's secret shows once, with examples; afterwards only its prefix.
	rec = h.post(page+"/integration-keys", url.Values{"name": {"prometheus"}})
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	secret := regexp.MustCompile(`vgi_[a-z2-7]+`).FindString(body)
	if secret == "" {
		t.Fatalf("no secret on the page:\n%s", excerpt(body))
	}
	for _, want := range []string{
		"curl -X POST http://vigil.test/api/v1/events -H &#39;Authorization: Bearer " + secret + "&#39; -H &#39;Content-Type: application/json&#39; -d &#39;{&#34;summary&#34;:",
		"&#34;action&#34;:&#34;resolve&#34;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("key page lacks %q", want)
		}
	}
	if _, err := h.db.AuthenticateIntegrationKey(context.Background(), secret); err != nil {
		t.Errorf("the shown secret does not work: %v", err)
	}
	body = h.get(page).Body.String()
	if strings.Contains(body, secret) {
		t.Errorf("the secret is shown again")
	}
	if !strings.Contains(body, "prometheus") || !strings.Contains(body, vigil.SecretDisplayPrefix(secret)) {
		t.Errorf("the key is not listed")
	}
	wantStatus(t, h.post(page+"/integration-keys", url.Values{"name": {""}}), http.StatusUnprocessableEntity)

	keys, _ := h.db.FindIntegrationKeys(context.Background(), s.ID)
	rec = h.post(fmt.Sprintf("%s/integration-keys/%d/revoke", page, keys[0].ID), nil)
	wantRedirect(t, rec, page)
	if _, err := h.db.AuthenticateIntegrationKey(context.Background(), secret); vigil.ErrorCode(err) != vigil.CodeUnauthorized {
		t.Errorf("revoked key still works: %v", err)
	}
	body = h.get(page).Body.String()
	if !strings.Contains(body, "revoked") || strings.Contains(body, "/revoke\"") {
		t.Errorf("revoked key not shown as revoked")
	}
}

// errorNextTo reports whether a field error follows the input with this id
// before the next label (that is, it is shown next to that input).
func errorNextTo(body, id string) bool {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return false
	}
	rest := body[i:]
	e := strings.Index(rest, `<p class="field-error">`)
	l := strings.Index(rest, "<label")
	return e >= 0 && (l < 0 || e < l)
}

func TestUnknownPathIsNotFoundPage(t *testing.T) {
	h := newHarness(t)
	for _, r := range []req{{path: "/nope"}, {path: "/incidents/1/nope", signed: true}, {method: http.MethodPost, path: "/nope", form: url.Values{}}} {
		rec := h.do(r)
		wantStatus(t, rec, http.StatusNotFound)
		if !strings.Contains(rec.Body.String(), "Not found") || rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s %s: not the 404 page", r.method, r.path)
		}
	}
}
