package classify

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzCompile: any expression either compiles, and then evaluates on an
// alert without panicking (failures are reported, not thrown), or is
// refused with a field error on its rule.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`labels.env == "prod"`, `summary contains "x" && hour > 3`, `details.a.b == 1`, `int(labels.n) / 0 > 1`,
		`labels.x ==`, `"unterminated`, `len(summary) > 10 || weekday in ["Monday"]`, `business_hours`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, when string) {
		rs, err := Compile([]vigil.ClassificationRule{{Name: "r", When: when, Set: vigil.ClassificationSet{Sev: "SEV2"}}}, nil)
		if err != nil {
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) == "" {
				t.Fatalf("refusal without a field: %v", err)
			}
			return
		}
		d := rs.Classify(Alert{Summary: "s", Severity: "critical", Labels: map[string]string{"env": "prod", "n": "0"},
			Details: map[string]any{"a": map[string]any{"b": 1.0}}, At: monday10})
		if d.Sev != "" && d.Sev != "SEV2" {
			t.Fatalf("decision %+v", d)
		}
	})
}
