package web

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzAuditFilterForm: whatever the search form holds, reading it either
// fails on a field the form has an input for, or gives a filter the
// domain accepts or refuses on such a field (never a 5xx).
func FuzzAuditFilterForm(f *testing.F) {
	f.Add("ops-token", "service.update", "service:3", "2026-03-14", "2026-03-15T10:30", "checkout")
	f.Add("", "", "incident", "2026-03-14T10:00:00Z", "", `"<x>"`)
	f.Add("\x00", "%_", "a:b:c", "tomorrow", "2026-13-01", "\xff")
	inputs := map[string]bool{"actor": true, "action": true, "object": true, "since": true, "until": true, "search": true}
	f.Fuzz(func(t *testing.T, actor, action, object, since, until, search string) {
		form := auditFilterForm{Actor: actor, Action: action, Object: object, Since: since, Until: until, Search: search}
		df, err := form.domain()
		if err == nil {
			err = df.Validate()
		}
		if err == nil {
			return
		}
		if vigil.ErrorCode(err) != vigil.CodeInvalid || !inputs[vigil.ErrorField(err)] {
			t.Fatalf("%+v: %v (field %q) is not a field error the form can show", form, err, vigil.ErrorField(err))
		}
	})
}
