package web

import (
	"context"
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// notificationsShown is how many notifications the incident and user pages
// list, newest first.
const notificationsShown = 100

// notificationView is one message of the log. It carries the destination
// only masked: a Teams or webhook URL is its own credential.
type notificationView struct {
	ID            int64
	Kind          string
	UserID        int64
	UserName      string
	DestType      string
	Dest          string
	Status        string
	Attempts      int
	LastError     string
	Step          *int
	CreatedAt     time.Time
	NextAttemptAt time.Time
	SentAt        *time.Time
	// Waiting: pending or being sent, so the next attempt time matters.
	Waiting bool
}

func newNotificationViews(list []*vigil.Notification) []notificationView {
	out := make([]notificationView, 0, len(list))
	for _, n := range list {
		v := notificationView{
			ID: n.ID, Kind: n.Kind, UserID: n.UserID, UserName: n.UserName,
			DestType: n.DestType, Dest: vigil.MaskAddress(n.DestType, n.DestAddress),
			Status: n.Status, Attempts: n.Attempts, LastError: n.LastError,
			CreatedAt: n.CreatedAt, NextAttemptAt: n.NextAttemptAt, SentAt: n.SentAt,
			Waiting: n.Status == vigil.NotificationPending || n.Status == vigil.NotificationSending,
		}
		if n.Step != nil {
			s := *n.Step + 1
			v.Step = &s
		}
		out = append(out, v)
	}
	return out
}

// incidentNotificationList is the incident's message log.
func (u *UI) incidentNotificationList(ctx context.Context, id int64) ([]notificationView, error) {
	list, err := u.store.FindNotifications(ctx, vigil.NotificationFilter{IncidentID: &id, Limit: notificationsShown})
	if err != nil {
		return nil, err
	}
	return newNotificationViews(list), nil
}

// incidentNotifications answers GET /incidents/{id}/notifications: the
// notification log alone, which the incident page re-fetches every few
// seconds (htmx) so sends and failures show as they happen.
func (u *UI) incidentNotifications(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	if _, err := u.store.FindIncidentByID(r.Context(), id); err != nil {
		u.fail(w, r, err)
		return
	}
	list, err := u.incidentNotificationList(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.renderFragment(w, r, http.StatusOK, "incident_show.html", "notification_log", list)
}
