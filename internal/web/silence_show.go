package web

import (
	"net/http"
)

// silenceShowPage is the model of silence_show.html.
type silenceShowPage struct {
	layout
	Silence silenceRow
	// LastMatched is when it last held an alert; nil when it never did.
	LastMatched *timeLabel
	// Held are the firing alerts it holds now, newest first, at most
	// maxHeldShown of HeldTotal.
	Held       []heldAlertRow
	HeldTotal  int
	HeldCapped bool
	// AgainURL is the "New silence" form pre-filled with these matchers.
	AgainURL string
}

// silenceShow answers GET /silences/{id}: the silence and the alerts it
// holds now.
func (u *UI) silenceShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	s, err := u.store.FindSilenceByID(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.serviceNames(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	var service int64
	if s.ServiceID != nil {
		service = *s.ServiceID
	}
	held, capped, err := u.heldAlerts(ctx, service)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	mine := held[s.ID]
	m := silenceShowPage{
		Silence:    u.newSilenceRow(s, names, len(mine), capped),
		HeldTotal:  len(mine),
		HeldCapped: capped,
		Held:       u.heldRows(mine, names, holdNames{}),
		AgainURL:   silenceAgainURL(s),
	}
	if s.LastMatchedAt != nil {
		l := u.timeLabel(*s.LastMatchedAt)
		m.LastMatched = &l
	}
	m.layout = u.layout(w, r, "Silence #"+itoa(s.ID), "silences")
	u.render(w, r, http.StatusOK, "silence_show.html", m)
}
