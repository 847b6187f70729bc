package classify

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestBackTest replays a fixture of stored alerts through a rule change
// that suppresses staging noise, stops suppressing a batch job and raises
// payments errors, and checks the exact difference.
func TestBackTest(t *testing.T) {
	current := mustCompile(t, []vigil.ClassificationRule{
		{Name: "batch is noise", When: `labels.job == "batch"`, Set: vigil.ClassificationSet{Suppress: true}},
		{Name: "payments", When: `labels.service == "payments"`, Set: vigil.ClassificationSet{Sev: "SEV2"}},
	})
	changed := mustCompile(t, []vigil.ClassificationRule{
		{Name: "staging is noise", When: `labels.env == "staging"`, Set: vigil.ClassificationSet{Suppress: true}},
		{Name: "payments", When: `labels.service == "payments"`, Set: vigil.ClassificationSet{Sev: "SEV1"}},
	})
	at := time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	alerts := []Alert{
		{Summary: "disk", Labels: l("env", "prod", "job", "node"), At: at},                   // 0: unchanged
		{Summary: "batch late", Labels: l("env", "prod", "job", "batch"), At: at},            // 1: now pages
		{Summary: "staging cpu", Labels: l("env", "staging", "job", "node"), At: at},         // 2: no longer pages
		{Summary: "staging batch", Labels: l("env", "staging", "job", "batch"), At: at},      // 3: suppressed either way
		{Summary: "5xx", Labels: l("env", "prod", "service", "payments"), At: at},            // 4: SEV2 -> SEV1
		{Summary: "staging 5xx", Labels: l("env", "staging", "service", "payments"), At: at}, // 5: SEV2 -> SEV1 and suppressed
	}
	sum, changes := BackTest(current, changed, alerts)
	if sum != (Summary{Alerts: 6, PagesAdded: 1, PagesRemoved: 2, Changed: 4}) {
		t.Errorf("summary %+v", sum)
	}
	var got []string
	for _, c := range changes {
		got = append(got, strings.Join(append([]string{alerts[c.Index].Summary}, c.Fields...), " "))
	}
	want := []string{"batch late paged", "staging cpu paged", "5xx sev", "staging 5xx paged sev"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("changes\n got %v\nwant %v", got, want)
	}
	if c := changes[3]; c.Before.Sev != "SEV2" || c.After.Sev != "SEV1" || !c.After.Suppress {
		t.Errorf("change detail %+v", c)
	}
	// Replaying the same rules changes nothing.
	if sum, changes := BackTest(current, current, alerts); sum.Changed != 0 || len(changes) != 0 {
		t.Errorf("same rules: %+v %v", sum, changes)
	}
}
