package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// webRoutes reads the UI's route patterns from its source: every
// mux.Handle("METHOD /path", ...) in the package, so a route added later
// is walked without touching this test.
func webRoutes(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`mux\.Handle\("([A-Z]+ [^"]*)"(\+signed\.ActionPath\+"([^"]*)")?`)
	var out []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			p := m[1]
			if m[2] != "" {
				p += signed.ActionPath + m[3]
			}
			out = append(out, p)
		}
	}
	if len(out) < 50 {
		t.Fatalf("found only %d routes: is the pattern still right?", len(out))
	}
	return out
}

// TestSecurityHeadersOnEveryRoute (catalog H15) walks every UI route,
// signed in and not, GETs before POSTs (an empty form, same origin), and
// checks that each answer carries the CSP without inline script, frame
// denial, nosniff and the referrer policy, and that HTML answers hold no
// inline script.
func TestSecurityHeadersOnEveryRoute(t *testing.T) {
	h := newHarness(t)
	s := h.service("api")
	inc := h.trigger(s, vigil.Event{Summary: "5xx rate high"})
	fill := strings.NewReplacer("{id}", fmt.Sprint(inc.ID), "{key}", "1", "{method}", "1", "{rule}", "1", "{override}", "1", "{identity}", "1",
		"{secret}", "vgr_nope", "{token}", "nope", "{file}", "app.css", "{$}", "", "{path...}", "x")
	routes := webRoutes(t)
	var gets, posts []string
	for _, r := range routes {
		method, path, _ := strings.Cut(r, " ")
		if method == "" {
			continue
		}
		if strings.Contains(method, "/") { // a pattern without a method: "/"
			path, method = r, http.MethodGet
		}
		if strings.Contains(fill.Replace(path), "{") {
			t.Fatalf("route %q has a parameter this test does not fill", r)
		}
		switch method {
		case http.MethodGet:
			gets = append(gets, fill.Replace(path))
		case http.MethodPost:
			posts = append(posts, fill.Replace(path))
		default:
			t.Fatalf("route %q: method %s not walked", r, method)
		}
	}
	t.Logf("walking %d GET and %d POST routes", len(gets), len(posts))
	inlineScript := regexp.MustCompile(`<script>|<script [^>]*>[^<]|\son[a-z]+=`)
	check := func(what string, rec interface {
		Header() http.Header
	}, body string) {
		t.Helper()
		hd := rec.Header()
		csp := hd.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", what, csp)
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
			if got := hd.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", what, k, got, want)
			}
		}
		if rp := hd.Get("Referrer-Policy"); rp != "same-origin" && rp != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", what, rp)
		}
		if strings.HasPrefix(hd.Get("Content-Type"), "text/html") && inlineScript.MatchString(body) {
			t.Errorf("%s: inline script in the page", what)
		}
	}
	for _, signedIn := range []bool{false, true} {
		for _, p := range gets {
			rec := h.do(req{path: p, signed: signedIn})
			check(fmt.Sprintf("GET %s (signed in %v) %d", p, signedIn, rec.Code), rec, rec.Body.String())
		}
	}
	for _, p := range posts {
		rec := h.do(req{method: http.MethodPost, path: p, form: url.Values{}, signed: true})
		check(fmt.Sprintf("POST %s %d", p, rec.Code), rec, rec.Body.String())
	}
	// And a path no route names.
	rec := h.get("/no/such/page")
	check("unknown path", rec, rec.Body.String())
}
