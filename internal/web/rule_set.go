package web

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The classification and routing rules page: the rule set as the YAML
// document `vigil rules get` prints, saved whole with the version it was
// read at (a concurrent save is a conflict, not a lost update), the rules
// that failed on alerts, and a back-test of the changed text before saving.

// ruleSetPage is the model of rule_set.html.
type ruleSetPage struct {
	layout
	Set  *vigil.ClassificationRuleSet
	Form rulesForm
	// Conflict is the stored rule set as YAML when a save met a newer
	// version, so the editor can merge by hand.
	Conflict *conflictView
	BackTest *backTestView
}

// rulesForm is the editor: the document, the version it was read at and
// the back-test range (datetime-local values in UTC; an empty end is now).
type rulesForm struct {
	Doc     string
	Version int64
	Since   string
	Until   string
	Errors  formErrors
}

// conflictView shows what someone else saved meanwhile.
type conflictView struct {
	Version   int64
	UpdatedBy string
	UpdatedAt *time.Time
	Doc       string
}

// backTestView is a back-test's result as the page shows it.
type backTestView struct {
	*vigil.BackTestResult
	Rows []backTestRow
}

// backTestRow is one alert the changed rules treat differently, with one
// line per differing field.
type backTestRow struct {
	vigil.BackTestChange
	Diffs []fieldDiff
	Paged string // "page added", "page removed" or ""
}

type fieldDiff struct {
	Field, Before, After string
}

// rulesLabels are the inputs of the rules form, by the field names errors
// carry; errors on a rule inside the document are shown on "rules".
var rulesLabels = map[string]string{"rules": "Rules", "since": "From", "until": "To", "limit": "Limit"}

// ruleSetList answers GET /rules.
func (u *UI) ruleSetList(w http.ResponseWriter, r *http.Request) {
	set, err := u.store.ClassificationRules(r.Context())
	if err != nil {
		u.fail(w, r, err)
		return
	}
	doc, err := mapping.FormatRuleSet(set.TimeZone, set.Rules)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := rulesForm{Doc: string(doc), Version: set.Version}
	f.defaultRange(u.clock.Now())
	u.renderRuleSet(w, r, http.StatusOK, ruleSetPage{Set: set, Form: f})
}

// renderRuleSet fills the stored set when m has none and shows the page.
func (u *UI) renderRuleSet(w http.ResponseWriter, r *http.Request, status int, m ruleSetPage) {
	if m.Set == nil {
		set, err := u.store.ClassificationRules(r.Context())
		if err != nil {
			u.fail(w, r, err)
			return
		}
		m.Set = set
	}
	m.layout = u.layout(w, r, "Classification rules", "rules")
	u.render(w, r, status, "rule_set.html", m)
}

// defaultRange fills an empty back-test start: 7 days ago. An empty end
// is now (a minute-precise "now" in the form would leave out the alerts
// of the current minute).
func (f *rulesForm) defaultRange(now time.Time) {
	if f.Since == "" {
		f.Since = now.UTC().Add(-7 * 24 * time.Hour).Format(localInput)
	}
}

// parseRulesForm reads the rules form. The document's YAML errors are on
// "rules" with their line, a bad version or range on its field.
func parseRulesForm(form url.Values) (rulesForm, mapping.RuleSetDoc, error) {
	f := rulesForm{Doc: form.Get("rules"), Since: strings.TrimSpace(form.Get("since")), Until: strings.TrimSpace(form.Get("until"))}
	if v := strings.TrimSpace(form.Get("version")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, mapping.RuleSetDoc{}, vigil.FieldError("rules", "the form lost the version it was read at; reload the page")
		}
		f.Version = n
	}
	doc, err := mapping.ParseRuleSet([]byte(f.Doc))
	return f, doc, err
}

// backTestRange reads the back-test range of the form, in UTC.
func (f rulesForm) backTestRange() (since, until *time.Time, err error) {
	for _, p := range []struct {
		field, v string
		dst      **time.Time
	}{{"since", f.Since, &since}, {"until", f.Until, &until}} {
		if p.v == "" {
			continue
		}
		t, err := parseLocal(p.field, p.v, time.UTC)
		if err != nil {
			return nil, nil, err
		}
		*p.dst = &t
	}
	return since, until, nil
}

// rulesError files a refused save or back-test: errors on a rule or the
// zone inside the document go on "rules", named with their line there.
func rulesError(err error, doc string) formErrors {
	field := vigil.ErrorField(err)
	switch {
	case field == "since" || field == "until" || field == "limit":
		return labeledErrors(err, rulesLabels)
	case field == "" || field == "rules":
		if vigil.ErrorCode(err) != vigil.CodeInvalid {
			return formErrors{Form: vigil.ErrorMessage(err)}
		}
		return formErrors{Fields: map[string]string{"rules": vigil.ErrorMessage(err)}}
	}
	where := field
	if line := mapping.RuleSetLine([]byte(doc), field); line > 0 {
		where = fmt.Sprintf("%s (line %d)", field, line)
	}
	return formErrors{Fields: map[string]string{"rules": where + ": " + vigil.ErrorMessage(err)}}
}

// newBackTestView lays out a back-test's changes field by field.
func newBackTestView(res *vigil.BackTestResult) *backTestView {
	v := &backTestView{BackTestResult: res}
	for _, ch := range res.Changes {
		row := backTestRow{BackTestChange: ch}
		for _, f := range ch.Fields {
			if f == "paged" {
				if ch.Before.Suppress {
					row.Paged = "page added"
				} else {
					row.Paged = "page removed"
				}
			}
			row.Diffs = append(row.Diffs, fieldDiff{Field: f, Before: decisionField(ch.Before, f), After: decisionField(ch.After, f)})
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// decisionField is one field of a decision as the back-test names it.
func decisionField(d vigil.RuleDecision, field string) string {
	var s string
	switch field {
	case "paged":
		if d.Suppress {
			return "suppressed"
		}
		return "pages"
	case "sev":
		s = d.Level
	case "priority":
		s = d.Priority
	case "type":
		s = d.Type
	case "service":
		s = d.Service
	case "team":
		s = d.Team
	case "urgency":
		s = d.Urgency
	case "notify":
		s = strings.Join(d.Notify, ", ")
	case "private":
		return strconv.FormatBool(d.Private)
	case "labels":
		names := make([]string, 0, len(d.Labels))
		for k := range d.Labels {
			names = append(names, k)
		}
		sort.Strings(names)
		for i, k := range names {
			names[i] = k + "=" + d.Labels[k]
		}
		s = strings.Join(names, ", ")
	}
	if s == "" {
		return "—"
	}
	return s
}
