package web

import "net/http"

// confirmPage is the model of confirm_delete.html: the step between a
// "Delete" button and the deletion. Both are POST forms, so a link or a
// prefetch can never delete anything; the second one carries confirm=yes.
type confirmPage struct {
	layout
	Heading string
	// Consequences say what goes with the object, one sentence each.
	Consequences []string
	// Blockers say why the deletion will be refused (a schedule a policy
	// still pages); the button is still offered, the store decides.
	Blockers []string
	Error    string
	Action   string
	Cancel   string
	Button   string
}

// confirmed reports whether a delete form is the confirmation itself.
func confirmed(r *http.Request) bool { return r.PostFormValue("confirm") == "yes" }

// renderConfirm shows the confirmation step with status (200, or the
// status of the refusal it explains).
func (u *UI) renderConfirm(w http.ResponseWriter, r *http.Request, status int, nav string, m confirmPage) {
	m.layout = u.layout(w, r, m.Heading, nav)
	u.render(w, r, status, "confirm_delete.html", m)
}
