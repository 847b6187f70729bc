// Package netguard keeps Vigil's outbound HTTP requests (webhooks, chat and
// SMS vendors, test notifications) away from addresses inside the network
// it runs in: loopback, private, link-local (cloud metadata at
// 169.254.169.254), unique-local, CGNAT, multicast and unspecified
// addresses are refused unless an administrator allows them.
//
// The check runs when a connection is made, on the address actually
// dialled: a host name that resolves to a private address, a DNS answer
// that changes between check and use (rebinding), an IPv4-mapped IPv6
// address, a decimal or octal spelling of an address, and a redirect to a
// private address are all caught by the same test.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// ErrBlocked is wrapped by every refusal.
var ErrBlocked = errors.New("netguard: destination address is not allowed")

// blocked are the ranges refused by default.
var blocked = mustPrefixes(
	"0.0.0.0/8",      // "this network", unspecified
	"10.0.0.0/8",     // private
	"100.64.0.0/10",  // carrier-grade NAT
	"127.0.0.0/8",    // loopback
	"169.254.0.0/16", // link-local, cloud metadata
	"172.16.0.0/12",  // private
	"192.0.0.0/24",   // IETF protocol assignments
	"192.168.0.0/16", // private
	"198.18.0.0/15",  // benchmarking
	"224.0.0.0/4",    // multicast
	"240.0.0.0/4",    // reserved, broadcast
	"::/128",         // unspecified
	"::1/128",        // loopback
	"64:ff9b::/96",   // NAT64 (embeds IPv4)
	"64:ff9b:1::/48", // local NAT64
	"fc00::/7",       // unique-local
	"fe80::/10",      // link-local
	"fec0::/10",      // site-local (deprecated)
	"ff00::/8",       // multicast
	"2001:db8::/32",  // documentation
	"2002::/16",      // 6to4 (embeds IPv4)
	"2001::/32",      // Teredo (embeds IPv4)
)

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(list))
	for i, s := range list {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// Guard decides which addresses may be dialled. The zero Guard refuses
// every blocked range; Allow opens some of them again (an internal
// webhook receiver, or 127.0.0.0/8 for local fakes in development).
type Guard struct {
	Allow []netip.Prefix
}

// ParseAllow reads a comma-separated list of prefixes or addresses
// ("10.1.2.0/24, 127.0.0.1").
func ParseAllow(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a prefix like 10.0.0.0/8", part)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Check returns nil when a may be dialled, else an error wrapping
// ErrBlocked.
func (g Guard) Check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	for _, p := range g.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return fmt.Errorf("%w: %s is in %s (allow it with the outbound allowlist)", ErrBlocked, a, p)
		}
	}
	return nil
}

// control is a net.Dialer Control function: it runs after name
// resolution, just before connect, on the address being dialled.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot read %q", ErrBlocked, address)
	}
	return g.Check(ap.Addr())
}

// DialContext dials through the guard.
func (g Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	return d.DialContext(ctx, network, address)
}

// Transport is an HTTP transport whose every connection goes through the
// guard. It uses no proxy from the environment: a proxy would make the
// dialled address the proxy's, and the check meaningless.
func (g Guard) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = g.DialContext
	return t
}

// Client is an HTTP client through the guard with a timeout. Redirects
// are followed (at most 5), each through the guard as well.
func (g Guard) Client(timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: g.Transport(),
		Timeout:   timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("netguard: stopped after 5 redirects")
			}
			return nil
		},
	}
}
