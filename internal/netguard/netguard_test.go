package netguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	refused := []string{
		"127.0.0.1", "127.1.2.3", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "169.254.1.1", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
		"::1", "::", "fd00::1", "fc00::1", "fe80::1", "fe80::1%eth0", "ff02::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
	}
	allowed := []string{"8.8.8.8", "1.1.1.1", "172.32.0.1", "11.0.0.1", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8"}
	var g Guard
	for _, s := range refused {
		if err := g.Check(netip.MustParseAddr(s)); !errors.Is(err, ErrBlocked) {
			t.Errorf("Check(%s) = %v, want blocked", s, err)
		}
	}
	for _, s := range allowed {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("Check(%s) = %v, want allowed", s, err)
		}
	}
	// An allowlist opens exactly what it names.
	allow, err := ParseAllow("10.1.2.0/24, 127.0.0.1 ,::1")
	if err != nil {
		t.Fatal(err)
	}
	g = Guard{Allow: allow}
	for s, want := range map[string]bool{"10.1.2.3": true, "10.1.3.1": false, "127.0.0.1": true, "127.0.0.2": false, "::1": true, "::ffff:127.0.0.1": true} {
		if got := g.Check(netip.MustParseAddr(s)) == nil; got != want {
			t.Errorf("with the allowlist, Check(%s) allowed = %v, want %v", s, got, want)
		}
	}
	if _, err := ParseAllow("10.0.0.0/33"); err == nil {
		t.Error("a bad prefix was accepted")
	}
	if _, err := ParseAllow("intranet"); err == nil {
		t.Error("a name was accepted")
	}
}

// server counts the requests that reached it.
func server(t *testing.T, addr string, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return s, &hits
}

func ok(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "reached") }

// TestClientMatrix sends real requests through the guarded client to
// local servers, spelled every way the SSRF list of issue 6 names (and a
// few more), and checks that none reaches them unless allowed. Where the
// spelling is an address or a resolvable name the refusal must be the
// guard's own (ErrBlocked), not a failing lookup. The redirect case is
// TestRedirectToPrivate.
func TestClientMatrix(t *testing.T) {
	target, hits := server(t, "127.0.0.1:0", ok)
	port := target.Listener.Addr().(*net.TCPAddr).Port
	p := func(host string) string { return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/hook" }
	cases := []struct {
		name, url string
		guard     bool // refused by the guard itself (ErrBlocked)
	}{
		{"loopback", target.URL, true},
		{"loopback, other address", p("127.0.0.2"), true},
		{"DNS name resolving to loopback", p("localhost"), true},
		{"10/8", p("10.0.0.1"), true},
		{"172.16/12", p("172.16.0.1"), true},
		{"172.16/12, top", p("172.31.255.254"), true},
		{"192.168/16", p("192.168.0.1"), true},
		{"cloud metadata 169.254.169.254", p("169.254.169.254"), true},
		{"IPv6 loopback", p("::1"), true},
		{"IPv6 unique-local", p("fd00::1"), true},
		{"IPv4-mapped IPv6 loopback", p("::ffff:127.0.0.1"), true},
		{"IPv4-mapped IPv6 metadata", p("::ffff:169.254.169.254"), true},
		{"unspecified (reaches loopback on Linux)", p("0.0.0.0"), true},
		// Go does not read these spellings as addresses, so they go to
		// DNS and fail there; browsers and curl would read them as
		// 127.0.0.1, so they are here to prove none ever connects.
		{"decimal", p("2130706433"), false},
		{"short form", p("127.1"), false},
		{"hexadecimal", p("0x7f000001"), false},
		{"octal", p("017700000001"), false},
		{"decimal metadata", p("2852039166"), false},
	}
	c := Guard{}.Client(3 * time.Second)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := c.Get(tc.url)
			if err == nil {
				res.Body.Close()
				t.Fatalf("GET %s: %d, want a refusal", tc.url, res.StatusCode)
			}
			if tc.guard && !errors.Is(err, ErrBlocked) {
				t.Errorf("GET %s: %v, want ErrBlocked", tc.url, err)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the loopback server", n)
	}

	// Allowed explicitly, the same server is reached.
	allowed := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}.Client(3 * time.Second)
	res, err := allowed.Get(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(body) != "reached" || hits.Load() != 1 {
		t.Errorf("allowed request: %q, %d hits", body, hits.Load())
	}
}

// TestRedirectToPrivate: an allowed server that redirects to a blocked
// address does not get the client there.
func TestRedirectToPrivate(t *testing.T) {
	inner, hits := server(t, "127.0.0.1:0", ok)
	outer, _ := server(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/metadata", http.StatusFound)
	})
	g := Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}
	res, err := g.Client(3 * time.Second).Get(outer.URL)
	if err == nil {
		res.Body.Close()
		t.Fatalf("followed the redirect: %d", res.StatusCode)
	}
	if !errors.Is(err, ErrBlocked) || hits.Load() != 0 {
		t.Errorf("redirect: %v, %d hits on the private server", err, hits.Load())
	}
}

// A proxy from the environment is not used: it would hide the address.
func TestNoProxy(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://8.8.8.8:3128")
	if tr := (Guard{}).Transport(); tr.Proxy != nil {
		t.Error("the guarded transport uses a proxy")
	}
}

// FuzzParseAllow: the allowlist comes from the environment; any text is
// refused or parsed into prefixes that each contain their own address.
func FuzzParseAllow(f *testing.F) {
	for _, s := range []string{"10.1.2.0/24, 127.0.0.1 ,::1", "", "::ffff:10.0.0.1", "fe80::1%eth0", "1.2.3.4/33", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseAllow(s)
		if err != nil {
			return
		}
		for _, p := range ps {
			if !p.IsValid() || !p.Contains(p.Addr()) {
				t.Fatalf("ParseAllow(%q) gave %v", s, p)
			}
		}
	})
}
