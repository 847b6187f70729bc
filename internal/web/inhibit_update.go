package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// inhibitUpdate answers POST /inhibit-rules/{id}: the rule is replaced by
// the form, and the alerts it mutes are checked again at once (those
// nothing mutes any more page).
func (u *UI) inhibitUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	orig, err := u.store.FindInhibitRule(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := newInhibitForm(orig)
	rule, lines, errs := parseInhibitForm(r, &f)
	if len(errs) > 0 {
		f.Errors = labelErrors(errs, inhibitLabels)
		u.renderInhibitShow(w, r, id, http.StatusUnprocessableEntity, &f)
		return
	}
	rule.ID = id
	err = u.store.UpdateInhibitRule(ctx, rule)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, inhibitRuleURL(id), "ok", "Inhibition rule "+rule.Name+" saved; the alerts it muted were checked again.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = holdFormErrors(err, inhibitLabels, inhibitFields, lines)
		u.renderInhibitShow(w, r, id, statusOf(code), &f)
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, "/inhibit-rules", "error", "That inhibition rule no longer exists.")
	default:
		u.fail(w, r, err)
	}
}
