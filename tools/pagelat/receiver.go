package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/notify/webhook"
)

// receiver is the fake vendor: a webhook endpoint that stamps each page
// with its arrival time. It answers 200 at once and does no other work, so
// it adds as little as possible to what is measured.
type receiver struct {
	secret string
	srv    *http.Server
	url    string

	mu         sync.Mutex
	pages      []page
	paged      map[int64]int // pages per incident
	other      int           // webhooks of other kinds (ack, resolve...)
	bad        int           // unreadable payloads
	badSig     int           // signatures that did not verify
	firstBadSg string
}

func newReceiver(secret string) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{secret: secret, paged: map[int64]int{}, url: "http://" + ln.Addr().String() + "/hook"}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) close() { _ = r.srv.Close() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	var p webhook.Payload
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	var sigErr error
	if r.secret != "" {
		sigErr = webhook.Verify(r.secret, req.Header, body, time.Now(), webhook.DefaultTolerance)
	}
	r.mu.Lock()
	switch {
	case err != nil:
		r.bad++
	case p.Kind != notify.KindPage:
		r.other++
	default:
		r.pages = append(r.pages, page{Incident: p.IncidentID, MessageID: req.Header.Get(webhook.HeaderMessageID), At: at})
		r.paged[p.IncidentID]++
	}
	if sigErr != nil {
		r.badSig++
		if r.firstBadSg == "" {
			r.firstBadSg = sigErr.Error()
		}
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// pagedCount says how many of incidents have at least one page.
func (r *receiver) pagedCount(incidents []int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range incidents {
		if r.paged[id] > 0 {
			n++
		}
	}
	return n
}

// snapshot returns the pages so far and the counts of other requests.
func (r *receiver) snapshot() (pages []page, other, bad, badSig int, firstBadSig string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]page(nil), r.pages...), r.other, r.bad, r.badSig, r.firstBadSg
}
