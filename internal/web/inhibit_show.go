package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// inhibitShowPage is the model of inhibit_show.html.
type inhibitShowPage struct {
	layout
	Rule *vigil.InhibitRule
	Form inhibitForm
	// Held are the firing alerts it mutes now, newest first, at most
	// maxHeldShown of HeldTotal.
	Held      []heldAlertRow
	HeldTotal int
}

// inhibitShow answers GET /inhibit-rules/{id}: the rule, the alerts it
// mutes now and its edit form.
func (u *UI) inhibitShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	u.renderInhibitShow(w, r, id, http.StatusOK, nil)
}

// renderInhibitShow shows rule id with its edit form: f as submitted, or
// one filled from the rule when nil.
func (u *UI) renderInhibitShow(w http.ResponseWriter, r *http.Request, id int64, status int, f *inhibitForm) {
	ctx := r.Context()
	rule, err := u.store.FindInhibitRule(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.serviceNames(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	held, total, err := u.heldWhere(ctx, vigil.AlertFilter{InhibitedByRule: &id}, names)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := inhibitShowPage{Rule: rule, Held: held, HeldTotal: total}
	if f == nil {
		nf := newInhibitForm(rule)
		f = &nf
	}
	m.Form = *f
	m.layout = u.layout(w, r, "Inhibition rule "+rule.Name, "inhibit")
	u.render(w, r, status, "inhibit_show.html", m)
}
