package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// testNotificationTitle is the title of a contact method's test message,
// the same as the API's (POST /api/v1/users/{id}/contact-methods/{id}/test).
const testNotificationTitle = "Test notification from Vigil"

// testNotificationSend answers POST /users/{id}/contact-methods/{method}/test.
// Like the API, it queues a test message that the engine sends like any
// other, so the user's notification log shows whether the address works;
// a disabled method may be tested before it is enabled.
func (u *UI) testNotificationSend(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	mid, ok2 := pathID(r, "method")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	m, err := u.store.FindContactMethod(ctx, mid)
	if err == nil && m.UserID != id {
		err = vigil.Errorf(vigil.CodeNotFound, "user %d has no contact method %d", id, mid)
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if _, err := u.store.FindUser(ctx, id); err != nil {
		u.fail(w, r, err)
		return
	}
	n := &vigil.Notification{Kind: vigil.MessageTest, Title: testNotificationTitle, UserID: m.UserID, ContactMethodID: m.ID,
		DestType: m.Type, DestAddress: m.Address, Priority: 0}
	if err := u.store.CreateNotifications(ctx, n); err != nil {
		u.fail(w, r, err)
		return
	}
	u.redirectFlash(w, r, userURL(id), "ok",
		"Test notification queued to "+m.Name+" ("+vigil.MaskAddress(m.Type, m.Address)+"). The log below shows whether it was sent.")
}
