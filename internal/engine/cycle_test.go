package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/notify"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// failingEscalation is a store whose escalation fails, as when one
// incident cannot escalate (the store then escalates the others one by
// one and reports the one that failed).
type failingEscalation struct {
	vigil.EngineService
	err error
}

func (f failingEscalation) EscalateDue(ctx context.Context, limit int) (int, error) {
	n, err := f.EngineService.EscalateDue(ctx, limit)
	return n, errors.Join(err, f.err)
}

// A cycle whose escalation reports an error still sends what is due (the
// pages of the incidents that did escalate, and messages already
// queued), then returns the error; a database that is unreachable ends
// the cycle at once.
func TestEscalationErrorDoesNotStopSending(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ana := h.user("Ana")
		svc, _ := h.policyService("api", 0, step(time.Hour, userT(ana)))
		h.trigger(svc, "x", vigil.SeverityError)
		queued := &vigil.Notification{Kind: vigil.MessagePage, DestType: vigil.ContactWebhook, DestAddress: addr("Bo"), Title: "by hand"}
		if err := h.st.CreateNotifications(h.ctx, queued); err != nil {
			t.Fatal(err)
		}
		eng := New(Config{Store: failingEscalation{h.st, errors.New("incident 99: boom")}, Sender: h.rec, Clock: h.clock, Replica: "a",
			Jitter: func() float64 { return 0.5 }})
		st, err := eng.Cycle(context.Background())
		if err == nil || !strings.Contains(err.Error(), "incident 99: boom") {
			t.Fatalf("Cycle error %v, want the escalation's", err)
		}
		if st.Escalated != 1 || st.Sent != 2 {
			t.Fatalf("stats %+v: want the incident escalated and both messages sent", st)
		}
		got := h.rec.since(0)
		slices.Sort(got)
		if !slices.Equal(got, []string{"page:" + addr("Ana"), "page:" + addr("Bo")}) {
			t.Fatalf("sent %v", got)
		}

		queued = &vigil.Notification{Kind: vigil.MessagePage, DestType: vigil.ContactWebhook, DestAddress: addr("Bo"), Title: "again"}
		if err := h.st.CreateNotifications(h.ctx, queued); err != nil {
			t.Fatal(err)
		}
		down := &vigil.Error{Code: vigil.CodeUnavailable, Message: "database unavailable"}
		eng = New(Config{Store: failingEscalation{h.st, down}, Sender: h.rec, Clock: h.clock, Replica: "a"})
		if st, err := eng.Cycle(context.Background()); vigil.ErrorCode(err) != vigil.CodeUnavailable || st.Sent != 0 {
			t.Fatalf("with the database down: %+v %v, want unavailable and nothing sent", st, err)
		}
	})
}

// A vendor's error text with a NUL byte and invalid UTF-8 is stored
// cleaned: the failure is recorded (PostgreSQL would refuse the raw
// text, and the message would be re-sent every lease period).
func TestUnstorableVendorTextIsCleaned(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		n := &vigil.Notification{Kind: vigil.MessagePage, DestType: vigil.ContactWebhook, DestAddress: addr("Bo"), Title: "x"}
		if err := h.st.CreateNotifications(h.ctx, n); err != nil {
			t.Fatal(err)
		}
		bad := notify.SenderFunc(func(context.Context, notify.Destination, notify.Message) (notify.Receipt, error) {
			return notify.Receipt{}, notify.Permanent(errors.New("vendor said \x00 \xff no"))
		})
		eng := New(Config{Store: h.st, Sender: bad, Clock: h.clock, Replica: "a"})
		st, err := eng.Cycle(context.Background())
		if err != nil || st.Failed != 1 {
			t.Fatalf("cycle %+v %v", st, err)
		}
		got, err := h.st.FindNotification(h.ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != vigil.NotificationFailed || got.LastError != "vendor said  \uFFFD no" {
			t.Errorf("stored %s %q", got.Status, got.LastError)
		}
	})
}
