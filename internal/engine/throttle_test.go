package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// E8: 50 incidents within a minute send Ana two text messages, not 50:
// the first page at once, then one message carrying the other 49 when the
// throttle window ends. Her webhook (not throttled) gets all 50, and every
// incident's timeline says she was paged.
func TestThrottleBundlesTexts(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		ana := h.user("Ana")
		const phone = "+4915112345678"
		h.contact(ana, vigil.ContactSMS, phone)
		svc, _ := h.policyService("api", 0, step(0, userT(ana)))

		var ids []int64
		for i := range 50 {
			ids = append(ids, h.trigger(svc, fmt.Sprintf("k%02d", i), vigil.SeverityCritical))
			h.cycle()
			h.advance(time.Second) // 50 incidents in 50 seconds
		}
		texts := func() []delivery {
			var out []delivery
			for _, d := range h.rec.deliveries() {
				if d.to == phone {
					out = append(out, d)
				}
			}
			return out
		}
		if got := texts(); len(got) != 1 || got[0].msg.Kind != notify.KindPage || got[0].msg.IncidentID != ids[0] || !got[0].at.Equal(t0) {
			t.Fatalf("within the first minute: %d texts, want only the first page, sent at once", len(got))
		}
		h.advance(10 * time.Second) // past t0 + 1 minute
		h.cycle()
		got := texts()
		if len(got) != 2 {
			t.Fatalf("%d texts after the window, want 2", len(got))
		}
		b := got[1].msg
		if b.Kind != notify.KindBundle || b.Bundled != 48 || b.IncidentID != ids[1] || !strings.Contains(b.Body, fmt.Sprintf("#%d disk full k02", ids[2])) ||
			!strings.Contains(b.Body, "and 38 more") {
			t.Errorf("bundle: %+v", b)
		}
		if at := got[1].at.Sub(t0); at < time.Minute || at > 61*time.Second {
			t.Errorf("bundle sent %s after the first page, want when the 1-minute window ended", at)
		}
		hooks := 0
		for _, d := range h.rec.deliveries() {
			if d.to == addr("Ana") {
				hooks++
			}
		}
		if hooks != 50 {
			t.Errorf("%d webhooks, want 50 (webhooks are not throttled)", hooks)
		}
		for _, id := range ids {
			var sms *vigil.Notification
			for _, n := range h.notifications(id) {
				if n.DestType == vigil.ContactSMS {
					sms = n
				}
			}
			if sms == nil || sms.Status != vigil.NotificationSent {
				t.Fatalf("incident %d: text notification %+v, want sent", id, sms)
			}
			if tl := h.timeline(id); !strings.Contains(tl, "Paged Ana by sms") {
				t.Errorf("incident %d timeline:\n%s", id, tl)
			}
		}
		if tl := h.timeline(ids[30]); !strings.Contains(tl, fmt.Sprintf("in one message with incident #%d", ids[1])) {
			t.Errorf("a bundled incident's timeline does not say so:\n%s", tl)
		}
		// A minute later a new incident pages at once again.
		h.advance(2 * time.Minute)
		h.trigger(svc, "later", vigil.SeverityCritical)
		h.cycle()
		if got := texts(); len(got) != 3 || got[2].msg.Kind != notify.KindPage {
			t.Errorf("after a quiet window: %d texts", len(got))
		}
	})
}

// A bundle waiting for a retry whose own incident is acknowledged is
// cancelled, and the pages it carried go out on their own: nothing is
// dropped with it.
func TestCancelledBundleReleasesRiders(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.rec.clock = h.clock
		bo := h.user("Bo")
		const phone = "+4915112345679"
		h.contact(bo, vigil.ContactSMS, phone)
		svc, _ := h.policyService("db", 0, step(0, userT(bo)))
		first := h.trigger(svc, "a", vigil.SeverityCritical)
		h.cycle()
		h.advance(10 * time.Second)
		carrier := h.trigger(svc, "b", vigil.SeverityCritical)
		rider := h.trigger(svc, "c", vigil.SeverityCritical)
		h.cycle()
		h.rec.mu.Lock()
		h.rec.fail[phone] = []error{err503} // the bundle's first attempt fails
		h.rec.mu.Unlock()
		h.advance(time.Minute)
		h.cycle()
		status := func(id int64) string {
			for _, n := range h.notifications(id) {
				if n.DestType == vigil.ContactSMS && n.Kind == vigil.MessagePage {
					return n.Status
				}
			}
			return "none"
		}
		if status(carrier) != vigil.NotificationPending || status(rider) != vigil.NotificationBundled {
			t.Fatalf("after the failed bundle: carrier %s, rider %s", status(carrier), status(rider))
		}
		if _, err := h.st.AcknowledgeIncident(h.ctx, carrier); err != nil {
			t.Fatal(err)
		}
		if status(carrier) != vigil.NotificationCancelled || status(rider) != vigil.NotificationPending {
			t.Fatalf("after acknowledging the carrier's incident: carrier %s, rider %s", status(carrier), status(rider))
		}
		for range 10 {
			h.advance(30 * time.Second)
			h.cycle()
		}
		if status(rider) != vigil.NotificationSent || status(first) != vigil.NotificationSent {
			t.Errorf("rider %s, first %s: want both sent", status(rider), status(first))
		}
		var riderTexts int
		for _, d := range h.rec.deliveries() {
			if d.to == phone && d.msg.IncidentID == rider {
				riderTexts++
			}
		}
		if riderTexts != 1 {
			t.Errorf("the released page was texted %d times, want 1", riderTexts)
		}
	})
}
