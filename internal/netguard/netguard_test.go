package netguard

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
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
// local servers, spelled every way an attacker might, and checks that none
// reaches them unless allowed.
func TestClientMatrix(t *testing.T) {
	target, hits := server(t, "127.0.0.1:0", ok)
	port := target.Listener.Addr().(*net.TCPAddr).Port
	p := func(host string) string { return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/hook" }
	urls := []string{
		target.URL,            // loopback
		p("localhost"),        // a name that resolves to loopback
		p("127.1"),            // short form
		p("2130706433"),       // decimal
		p("0x7f000001"),       // hexadecimal
		p("017700000001"),     // octal
		p("0.0.0.0"),          // unspecified reaches loopback on Linux
		p("::ffff:127.0.0.1"), // IPv4-mapped IPv6
		p("::1"),              // IPv6 loopback (the server may not listen there; still refused first)
		p("169.254.169.254"),  // cloud metadata
		p("10.0.0.1"), p("192.168.0.1"), p("172.16.0.1"), p("fd00::1"),
	}
	c := Guard{}.Client(3 * time.Second)
	for _, u := range urls {
		res, err := c.Get(u)
		if err == nil {
			res.Body.Close()
			t.Errorf("GET %s: %d, want a refusal", u, res.StatusCode)
			continue
		}
		if strings.HasPrefix(u, "http://10.") || strings.HasPrefix(u, "http://192.168.") || strings.HasPrefix(u, "http://172.16.") ||
			strings.HasPrefix(u, "http://[fd00") || strings.HasPrefix(u, "http://169.254") || strings.HasPrefix(u, "http://127.0.0.1") ||
			strings.HasPrefix(u, "http://localhost") || strings.HasPrefix(u, "http://[::") {
			// Spelled as an address or a resolvable name: refused by the
			// guard, not by a failing lookup.
			if !errors.Is(err, ErrBlocked) {
				t.Errorf("GET %s: %v, want ErrBlocked", u, err)
			}
		}
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
