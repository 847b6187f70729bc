package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// inhibitCreate answers POST /inhibit-rules. Every error is shown next to
// its input, with what was typed kept, and nothing is stored.
func (u *UI) inhibitCreate(w http.ResponseWriter, r *http.Request) {
	f := newInhibitForm(nil)
	rule, lines, errs := parseInhibitForm(r, &f)
	if len(errs) > 0 {
		f.Errors = labelErrors(errs, inhibitLabels)
		u.renderInhibitList(w, r, http.StatusUnprocessableEntity, &f)
		return
	}
	err := u.store.CreateInhibitRule(r.Context(), rule)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, inhibitRuleURL(rule.ID), "ok",
			"Inhibition rule "+rule.Name+" created: while a source alert fires, new alerts matching the target are muted.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		f.Errors = holdFormErrors(err, inhibitLabels, inhibitFields, lines)
		u.renderInhibitList(w, r, statusOf(code), &f)
	default:
		u.fail(w, r, err)
	}
}
