package vigil

import (
	"context"
	"time"
)

// Notification statuses.
const (
	NotificationPending   = "pending"   // waiting for its time or its next attempt
	NotificationSending   = "sending"   // claimed by a replica under a lease
	NotificationSent      = "sent"      // the vendor accepted it
	NotificationFailed    = "failed"    // given up: permanent error or too old
	NotificationCancelled = "cancelled" // no longer needed (acknowledged, resolved)
	NotificationBundled   = "bundled"   // riding in another page to the same destination (E8)
)

// ThrottleWindows is, per contact type, the least time between two pages
// to one contact method. A page inside the window waits for its end and
// then carries every page to that destination that is due by then, so 50
// incidents in a minute make two text messages, not 50. The first page
// always goes at once. Channels not listed are not throttled (chat and
// e-mail are cheap to receive; webhooks go to machines).
var ThrottleWindows = map[string]time.Duration{
	ContactSMS:        time.Minute,
	ContactSMSGateway: time.Minute,
	ContactVoice:      2 * time.Minute,
}

// BundledPage is an incident whose page rides in another message.
type BundledPage struct {
	NotificationID int64
	IncidentID     int64
	Title          string
}

// Notification kinds: what a message is about. The channels (package
// notify) render each kind; the store decides which ones to queue.
const (
	MessagePage    = "page"    // an incident needs someone
	MessageAck     = "ack"     // it was acknowledged
	MessageResolve = "resolve" // it was resolved
	MessageTest    = "test"    // a test notification for a contact method
	MessageManual  = "manual"  // a page sent by hand
	MessageBundle  = "bundle"  // several pages folded into one (throttling)
	MessageStatus  = "status"  // a status update for stakeholders
)

// Notification is one message to one destination: a row of the outbox.
type Notification struct {
	ID              int64      `json:"id"`
	IncidentID      int64      `json:"incident_id,omitempty"`
	Kind            string     `json:"kind"` // Message*: page, ack, resolve, test, manual
	UserID          int64      `json:"user_id,omitempty"`
	UserName        string     `json:"user_name,omitempty"`
	ContactMethodID int64      `json:"contact_method_id,omitempty"`
	DestType        string     `json:"dest_type"`
	DestAddress     string     `json:"-"` // may be a secret URL: shown masked
	Step            *int       `json:"step,omitempty"`
	Loop            *int       `json:"loop,omitempty"`
	Priority        int        `json:"priority"`
	Status          string     `json:"status"`
	Title           string     `json:"title,omitempty"`
	Body            string     `json:"body,omitempty"`
	DueAt           time.Time  `json:"due_at"`
	NextAttemptAt   time.Time  `json:"next_attempt_at"`
	Attempts        int        `json:"attempts"`
	LastError       string     `json:"last_error,omitempty"`
	ProviderID      string     `json:"provider_id,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	SentAt          *time.Time `json:"sent_at,omitempty"`
}

// ClaimedNotification is a notification a replica holds under a lease,
// with what it needs to render the message.
type ClaimedNotification struct {
	Notification
	// Bundle lists the other pages this message carries (E8), oldest
	// first; empty for a plain message.
	Bundle           []BundledPage
	IncidentTitle    string
	IncidentSeverity Severity
	IncidentStatus   string
	ServiceName      string
}

// Outcome is the result of one send attempt.
type Outcome struct {
	// Sent: the vendor accepted it. Otherwise Error says why, and RetryAt
	// is when to try again (nil: give up, the failure is final).
	Sent       bool
	ProviderID string
	Error      string
	RetryAt    *time.Time
	Duration   time.Duration
	// Late is how far past its due time the message went out (timeline).
	Late time.Duration
}

// Completion is one attempt to record: the notification and its outcome.
type Completion struct {
	ID      int64
	Outcome Outcome
}

// NotificationFilter selects notifications for the message log.
type NotificationFilter struct {
	IncidentID *int64
	UserID     *int64
	Statuses   []string
	Limit      int
}

// NotificationAttempt is one try at sending a notification.
type NotificationAttempt struct {
	At       time.Time     `json:"at"`
	Outcome  string        `json:"outcome"` // sent, retry, failed
	Error    string        `json:"error,omitempty"`
	Replica  string        `json:"replica,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// EngineService is the storage side of the escalation and delivery engine.
// Every method is safe to call from several replicas at once: rows are
// claimed, never read-then-written without a lock.
type EngineService interface {
	// EscalateDue fires the due escalation steps of at most limit incidents
	// (each incident's pages and timeline commit with its new state) and
	// returns how many it handled.
	EscalateDue(ctx context.Context, limit int) (int, error)
	// ReclaimNotifications returns to pending the notifications whose
	// sender's lease ran out (the replica died mid-send); they will be sent
	// again (at-least-once). It returns how many.
	ReclaimNotifications(ctx context.Context) (int, error)
	// ClaimNotifications leases up to limit due notifications to replica,
	// most urgent first (priority, then due time). A notification waits
	// while an earlier one of the same incident to the same contact method
	// is unfinished, so trigger, ack and resolve arrive in order.
	ClaimNotifications(ctx context.Context, replica string, limit int, lease time.Duration) ([]*ClaimedNotification, error)
	// CompleteNotification records an attempt. CodeConflict when the
	// replica no longer holds the lease (another replica took it over).
	CompleteNotification(ctx context.Context, id int64, replica string, o Outcome) error
	// CompleteNotifications records several attempts in one transaction
	// (group commit) and returns one error per item: nil, CodeConflict (the
	// lease is lost), CodeNotFound, or, when the shared transaction failed
	// and the item could not be recorded on its own either, that error.
	// The second result is for failures before any item was tried.
	CompleteNotifications(ctx context.Context, replica string, items []Completion) ([]error, error)
	// CreateNotifications queues messages by hand (test notification,
	// `vigil page`) in one transaction: all of them or none;
	// dedup/escalation fields are ignored.
	CreateNotifications(ctx context.Context, ns ...*Notification) error
	// FindNotifications lists notifications, newest first.
	FindNotifications(ctx context.Context, f NotificationFilter) ([]*Notification, error)
	// FindNotification returns one notification; CodeNotFound.
	FindNotification(ctx context.Context, id int64) (*Notification, error)
	// FindNotificationAttempts lists a notification's attempts, oldest first.
	FindNotificationAttempts(ctx context.Context, id int64) ([]*NotificationAttempt, error)
	// NextWakeup is the earliest time work becomes due (an escalation step
	// or a notification), or nil when nothing is scheduled.
	NextWakeup(ctx context.Context) (*time.Time, error)
}
