package web

import (
	"fmt"
	"net/http"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// ruleSetUpdate answers POST /rules: save the document if the rules are
// still at the version the form was read at. A refused save shows the
// page again with the submitted text and the error next to it (the field
// and its line); a conflict also shows what the other editor saved.
func (u *UI) ruleSetUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, doc, err := parseRulesForm(r.PostForm)
	f.defaultRange(u.clock.Now())
	if err == nil && f.Version == 0 {
		// The store checks no version for 0, so a form opened before the
		// first save is checked here (a small window remains between this
		// read and the save).
		var cur *vigil.ClassificationRuleSet
		if cur, err = u.store.ClassificationRules(ctx); err == nil && cur.Version != 0 {
			err = vigil.Errorf(vigil.CodeConflict, "the rules are at version %d", cur.Version)
		}
	}
	if err == nil {
		var set *vigil.ClassificationRuleSet
		set, err = u.store.SetClassificationRules(ctx, vigil.ClassificationRuleSet{TimeZone: doc.TimeZone, Rules: doc.Rules}, f.Version)
		if err == nil {
			u.redirectFlash(w, r, "/rules", "ok", fmt.Sprintf("Saved %s (version %d).", plural(len(set.Rules), "classification rule", "classification rules"), set.Version))
			return
		}
	}
	m := ruleSetPage{Form: f}
	if vigil.ErrorCode(err) == vigil.CodeConflict && vigil.ErrorField(err) == "" {
		cur, cerr := u.store.ClassificationRules(ctx)
		if cerr != nil {
			u.fail(w, r, cerr)
			return
		}
		m.Set = cur
		m.Conflict = &conflictView{Version: cur.Version, UpdatedBy: cur.UpdatedBy, UpdatedAt: cur.UpdatedAt}
		if text, ferr := mapping.FormatRuleSet(cur.TimeZone, cur.Rules); ferr == nil {
			m.Conflict.Doc = string(text)
		}
		m.Form.Errors = formErrors{Form: fmt.Sprintf("Not saved: someone saved the rules since you opened them (now version %d). Your text is kept below; reload the page to edit the current rules and apply your change again.", cur.Version)}
		u.renderRuleSet(w, r, http.StatusConflict, m)
		return
	}
	if c := vigil.ErrorCode(err); c != vigil.CodeInvalid && c != vigil.CodeConflict {
		u.fail(w, r, err)
		return
	}
	m.Form.Errors = rulesError(err, f.Doc)
	u.renderRuleSet(w, r, statusOf(vigil.ErrorCode(err)), m)
}
