package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// inhibitForm is the form of an inhibition rule, as typed: "New rule" on
// /inhibit-rules and the edit form of a rule's page.
type inhibitForm struct {
	Action string
	Submit string
	Name   string
	// Source and Target are textareas, one matcher per line.
	Source string
	Target string
	// Equal is the label names, separated by commas or spaces.
	Equal  string
	Errors formErrors
}

// inhibitLabels name the form's inputs in its error messages.
var inhibitLabels = map[string]string{"name": "Name", "source": "Source matchers", "target": "Target matchers", "equal": "Equal labels"}

// inhibitFields maps the store's field names to the form's inputs.
var inhibitFields = map[string]string{"name": "name", "source_matchers": "source", "target_matchers": "target", "equal": "equal"}

// newInhibitForm is the form for rule r, or a blank one when r is nil.
func newInhibitForm(r *vigil.InhibitRule) inhibitForm {
	f := inhibitForm{Action: "/inhibit-rules", Submit: "Create rule"}
	if r != nil {
		f.Action, f.Submit = inhibitRuleURL(r.ID), "Save rule"
		f.Name = r.Name
		f.Source, f.Target = strings.Join(r.Source, "\n"), strings.Join(r.Target, "\n")
		f.Equal = strings.Join(r.Equal, ", ")
	}
	return f
}

// parseInhibitForm reads the posted form into f (keeping its Action) and a
// rule, checking every input; lines are the matchers as typed, by input,
// to point a store error at its line.
func parseInhibitForm(r *http.Request, f *inhibitForm) (*vigil.InhibitRule, map[string][]matcherLine, map[string]string) {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Source = strings.TrimSpace(r.PostFormValue("source"))
	f.Target = strings.TrimSpace(r.PostFormValue("target"))
	f.Equal = strings.TrimSpace(r.PostFormValue("equal"))
	errs := map[string]string{}
	rule := &vigil.InhibitRule{Name: f.Name}
	if f.Name == "" {
		errs["name"] = `is required, such as "cluster down mutes its nodes"`
	}
	lines := map[string][]matcherLine{}
	read := func(input, text, example string) []string {
		ls, err := splitMatchers(text)
		if err != nil {
			errs[input] = vigil.ErrorMessage(err)
			return nil
		}
		lines[input] = ls
		if len(ls) == 0 {
			errs[input] = "give at least one, such as " + example
			return nil
		}
		out := make([]string, 0, len(ls))
		for _, l := range ls {
			if _, err := parseMatcher(l.Text); err != nil {
				errs[input] = fmt.Sprintf("line %d (%s): %v", l.Line, l.Text, err)
				return nil
			}
			out = append(out, l.Text)
		}
		return out
	}
	rule.Source = read("source", f.Source, `alertname="ClusterDown"`)
	rule.Target = read("target", f.Target, `alertname=~"Node.*"`)
	rule.Equal = strings.FieldsFunc(f.Equal, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' })
	for _, l := range rule.Equal {
		if !vigil.ValidRuleLabelName(l) {
			errs["equal"] = fmt.Sprintf("%q is not a label name", l)
			break
		}
	}
	return rule, lines, errs
}
