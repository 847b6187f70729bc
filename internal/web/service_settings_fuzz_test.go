package web

import (
	"slices"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzTriageForm: whatever the noise settings form holds, reading it never
// panics, and a refusal names one of the form's inputs, so the page shows
// it next to that input (a 4xx, never a 5xx).
func FuzzTriageForm(f *testing.F) {
	f.Add("50", "5m", "6", "10m", "15m", "5m")
	f.Add("0", "", "0", "", "", "0")
	f.Add("", "", "", "", "", "")
	f.Add("-1", "1s", "99999", "x", "-5m", "25h")
	f.Fuzz(func(t *testing.T, storm, stormWindow, changes, flapWindow, quiet, pause string) {
		form := triageForm{StormLimit: storm, StormWindow: stormWindow, FlapChanges: changes, FlapWindow: flapWindow, FlapQuiet: quiet, AutoPause: pause}
		s := &vigil.Service{Name: "x"}
		err := form.apply(s)
		if err == nil {
			s.Normalize()
			err = s.Validate()
		}
		if err == nil {
			return
		}
		if vigil.ErrorCode(err) != vigil.CodeInvalid || !slices.Contains(triageFormFields, vigil.ErrorField(err)) {
			t.Fatalf("%+v: %v (field %q) is not an error of one of the inputs", form, err, vigil.ErrorField(err))
		}
	})
}
