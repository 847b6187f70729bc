package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigil-oss/vigil/internal/notify/webhook/webhooktest"
	"github.com/vigil-oss/vigil/internal/storetest"
)

// D3: replica A, reaching PostgreSQL through a proxy, is cut off from the
// database while it holds claimed messages: some in flight at a stalled
// vendor, the rest of its batch waiting for a free worker. A must stop
// sending: nothing it holds may go out once it might no longer hold it,
// and what it cannot record is left to the lease. Replica B sends the
// messages once A's lease ends. The documented guarantee (README,
// "Delivery is at least once"): every message is delivered, once, except
// that a request A had already made may reach the vendor a second time,
// with the same message id. When A is back it works again and sends
// nothing twice.
func TestReplicaCutOffFromDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for an engine lease")
	}
	dbURL := storetest.NewPostgresURL(t) // skips without VIGIL_TEST_DATABASE_URL
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, u.Host)
	viaProxy := *u
	viaProxy.Host = proxy.addr

	hook := webhooktest.New(t, "")
	hook.SetDefault(webhooktest.Reply{Hang: true}) // the vendor stalls
	const lease = 15 * time.Second                 // the shortest allowed
	a := newProc(t, "--database-url", viaProxy.String(), "--engine-lease", lease.String())
	a.start()
	key := pagingSetup(t, a.url(), hook.URL, "Ana")

	const incidents = 40
	posted := time.Now()
	postAlerts(t, key, "d3", incidents, a.url())
	if _, err := hook.WaitFor(1, 30*time.Second); err != nil {
		t.Fatalf("replica a never started sending: %v", err)
	}
	// Every worker of A is now stuck at the vendor: wait until no request
	// has arrived for a second, then count.
	for n := -1; n != len(hook.Requests()); {
		n = len(hook.Requests())
		time.Sleep(time.Second)
	}
	inFlight := len(hook.Requests())
	// What A holds: every message it claimed, sent or not.
	var held []int64
	pgQuery(t, dbURL, &held, "SELECT COALESCE(array_agg(id), '{}') FROM notifications WHERE status = 'sending'")
	heldByA := map[string]bool{}
	for _, id := range held {
		heldByA[fmt.Sprintf("vigil-%d", id)] = true
	}
	claimed := len(held)

	hook.SetDefault(webhooktest.Reply{}) // from now on the vendor answers at once
	proxy.cut()
	cutAt := time.Now()
	waitFor(t, 15*time.Second, "replica a to report the database unreachable", func() bool {
		return readyStatus(a) == 503
	})

	b := newProc(t, "--database-url", dbURL, "--engine-lease", lease.String())
	b.start()
	answered := func() map[int64]int {
		out := map[int64]int{}
		for _, r := range hook.Requests() {
			if !r.Reply.Hang {
				out[r.Payload.IncidentID]++
			}
		}
		return out
	}
	waitFor(t, lease+45*time.Second, "every incident's page to be delivered", func() bool { return len(answered()) == incidents })
	took := time.Since(cutAt)
	time.Sleep(3 * time.Second) // room for a late or duplicate send to show

	// B cannot send a message A holds before A's lease ends, at the
	// earliest lease after the alerts were posted: such a request after
	// the cut and before then came from A, which was cut off.
	var fromA int
	for _, r := range hook.Requests()[inFlight:] {
		if heldByA[r.Header.Get("Vigil-Message-Id")] && r.Received.Before(posted.Add(lease)) {
			fromA++
		}
	}
	if fromA > 0 {
		t.Errorf("replica a sent %d requests after it was cut off from the database", fromA)
	}
	checkOnce(t, hook, incidents)
	if claimed <= inFlight {
		t.Errorf("a held %d messages with %d in flight at the cut: nothing was waiting, the test proved little", claimed, inFlight)
	}
	t.Logf("a held %d messages (%d in flight) when cut off; b delivered all %d incidents %s after the cut",
		claimed, inFlight, incidents, took.Round(100*time.Millisecond))

	// A comes back. With B gone, new incidents are A's alone: it works
	// again, and nothing is sent twice.
	proxy.restore()
	waitFor(t, 30*time.Second, "replica a to reach the database again", func() bool { return readyStatus(a) == 200 })
	b.kill()
	before := len(hook.Requests())
	postAlerts(t, key, "d3-after", 10, a.url())
	if _, err := hook.WaitFor(before+10, 30*time.Second); err != nil {
		t.Fatalf("replica a did not resume sending: %v", err)
	}
	time.Sleep(2 * time.Second)
	checkOnce(t, hook, incidents+10)
	if t.Failed() {
		t.Logf("replica a's output:\n%s", a.out.String())
	}
}

// checkOnce: n incidents, one message id each, delivered (answered)
// exactly once, plus at most one earlier request that the vendor never
// answered.
func checkOnce(t *testing.T, hook *webhooktest.Server, n int) {
	t.Helper()
	ids := hook.ByMessageID()
	if len(ids) != n {
		t.Errorf("%d message ids, want one for each of %d incidents", len(ids), n)
	}
	for id, reqs := range ids {
		ok := 0
		for _, r := range reqs {
			if !r.Reply.Hang {
				ok++
			}
		}
		if ok != 1 || len(reqs) > 2 {
			t.Errorf("message %s: %d requests, %d answered; want one delivery after at most one stalled try", id, len(reqs), ok)
		}
	}
}

func readyStatus(p *proc) int {
	resp, err := http.Get(p.url() + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func pgQuery(t *testing.T, dbURL string, dest any, q string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if err := c.QueryRow(ctx, q, args...).Scan(dest); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dbProxy forwards TCP connections to the database until cut: then it
// closes every open connection and refuses new ones (accepts and closes
// them at once) until restored.
type dbProxy struct {
	addr     string
	upstream string
	ln       net.Listener

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newDBProxy(t *testing.T, upstream string) *dbProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dbProxy{addr: ln.Addr().String(), upstream: upstream, ln: ln, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
	})
	return p
}

func (p *dbProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// track registers open connections; false (and both closed) when cut.
func (p *dbProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *dbProxy) forward(c net.Conn) {
	if !p.track(c) {
		return
	}
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(up) {
		c.Close()
		return
	}
	go func() {
		io.Copy(up, c)
		up.Close()
		c.Close()
	}()
	io.Copy(c, up)
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *dbProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
