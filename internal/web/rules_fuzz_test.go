package web

import (
	"net/url"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzRulesForm: the rules form never panics; what it refuses is bad
// input shown on the editor or a range input; a back-test range it reads
// is in UTC; and an error on any field of the document is filed on the
// editor, never lost.
func FuzzRulesForm(f *testing.F) {
	f.Add("time_zone: UTC\nrules:\n- name: a\n  when: labels.x == \"1\"\n  set: {sev: SEV1}\n", "3", "2026-03-01T00:00", "", "rules[0].when")
	f.Add("rules: ! ", "", "", "2026-03-01T00:00:05", "time_zone")
	f.Add("- a\n", "-1", "yesterday", "x", "rules[99].set.labels.a")
	f.Add(`{"rules":[]}`, "9223372036854775808", "", "", "")
	f.Fuzz(func(t *testing.T, doc, version, since, until, field string) {
		form := url.Values{"rules": {doc}, "version": {version}, "since": {since}, "until": {until}}
		rf, parsed, err := parseRulesForm(form)
		if rf.Doc != doc {
			t.Fatal("the form lost the text")
		}
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != "rules" {
				t.Fatalf("error %v is not bad input on the editor", err)
			}
		} else if parsed.Rules == nil {
			t.Fatal("parsed rules are nil")
		}
		s, u, err := rf.backTestRange()
		if err != nil {
			if fe := rulesError(err, doc); fe.Field("since")+fe.Field("until") == "" {
				t.Fatalf("range error %v is not next to its input", err)
			}
		} else {
			for _, p := range []*time.Time{s, u} {
				if p != nil && p.Location() != time.UTC {
					t.Fatalf("range time %v not in UTC", p)
				}
			}
		}
		if field != "" && field != "since" && field != "until" && field != "limit" {
			fe := rulesError(vigil.FieldError(field, "is wrong"), doc)
			if fe.Field("rules") == "" {
				t.Fatalf("an error on %q is not shown on the editor: %+v", field, fe)
			}
		}
		_ = mapping.RuleSetLine([]byte(doc), field)
	})
}

// FuzzRouteTestForm: the route test form never panics; what it refuses
// names one of its inputs; what it accepts holds numbers, JSON and a
// known format.
func FuzzRouteTestForm(f *testing.F) {
	f.Add(`{"summary":"x"}`, "native", "", "3", "", "2026-03-14T23:30", "Europe/Berlin")
	f.Add("", "", "12", "", "", "", "")
	f.Add("{", "smoke", "#1", "x", "-4", "tonight", "Local")
	f.Add(`[]`, "alertmanager", "", "", "1", "2026-03-29T02:30", "Europe/Berlin")
	f.Fuzz(func(t *testing.T, payload, format, alertID, key, service, at, zone string) {
		form := url.Values{"payload": {payload}, "format": {format}, "alert_id": {alertID}, "integration_key_id": {key},
			"service_id": {service}, "at": {at}, "time_zone": {zone}}
		rf, _, rt, err := parseRouteTestForm(form)
		if rf.Payload != payload {
			t.Fatal("the form lost the payload")
		}
		if err != nil {
			fe := labeledErrors(err, routeTestLabels)
			if vigil.ErrorCode(err) != vigil.CodeInvalid || len(fe.Fields) != 1 {
				t.Fatalf("error %v is not bad input on one of the form's inputs", err)
			}
			return
		}
		if rt.AlertID < 0 || rt.IntegrationKeyID < 0 || rt.ServiceID < 0 {
			t.Fatalf("negative id in %+v", rt)
		}
		if rt.Format != "" && !validFormat(rt.Format) {
			t.Fatalf("unknown format %q accepted", rt.Format)
		}
	})
}
