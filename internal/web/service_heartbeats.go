package web

import (
	"context"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// heartbeatView is a heartbeat on the service page: its state in one word
// and the badge class that colours it.
type heartbeatView struct {
	*vigil.Heartbeat
	State string // ok, waiting (no ping yet), expired, disabled
	Badge string
	Every string
}

// serviceHeartbeatsShown bounds the heartbeats listed on a service page.
const serviceHeartbeatsShown = vigil.MaxPageSize

// serviceHeartbeats returns the service's heartbeats for its page.
func (u *UI) serviceHeartbeats(ctx context.Context, serviceID int64) ([]heartbeatView, error) {
	list, _, err := u.store.FindHeartbeats(ctx, vigil.HeartbeatFilter{ServiceID: &serviceID, Limit: serviceHeartbeatsShown})
	if err != nil {
		return nil, err
	}
	out := make([]heartbeatView, 0, len(list))
	for _, h := range list {
		v := heartbeatView{Heartbeat: h, State: "ok", Badge: "st-active", Every: every(h.Period())}
		switch {
		case !h.Enabled:
			v.State, v.Badge = "disabled", "st-revoked"
		case h.Expired:
			v.State, v.Badge = "expired", "st-firing"
		case h.LastPingAt == nil:
			v.State, v.Badge = "waiting", "st-acknowledged"
		}
		out = append(out, v)
	}
	return out, nil
}

// every words a heartbeat period the way people say it: 10m, 2h, 1d.
func every(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return itoa(int64(d/(24*time.Hour))) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return itoa(int64(d/time.Hour)) + "h"
	}
	return itoa(int64(d/time.Minute)) + "m"
}
