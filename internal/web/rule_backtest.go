package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ruleBackTest answers POST /rules/backtest: replay the stored alerts of
// the form's range through the submitted text, saving nothing, and show
// the page again with the text still in the editor and the result below.
func (u *UI) ruleBackTest(w http.ResponseWriter, r *http.Request) {
	f, doc, err := parseRulesForm(r.PostForm)
	f.defaultRange(u.clock.Now())
	m := ruleSetPage{Form: f}
	if err == nil {
		in := vigil.BackTestInput{TimeZone: doc.TimeZone, Rules: doc.Rules}
		if in.Since, in.Until, err = f.backTestRange(); err == nil {
			var res *vigil.BackTestResult
			if res, err = u.store.BackTestRules(r.Context(), in); err == nil {
				m.BackTest = newBackTestView(res)
				u.renderRuleSet(w, r, http.StatusOK, m)
				return
			}
		}
	}
	if vigil.ErrorCode(err) != vigil.CodeInvalid {
		u.fail(w, r, err)
		return
	}
	m.Form.Errors = rulesError(err, f.Doc)
	u.renderRuleSet(w, r, http.StatusUnprocessableEntity, m)
}
