package vigil

import (
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/matcher"
)

// The matchers silences evaluate at ingest decide exactly as
// internal/matcher (Alertmanager's own code) does.
func TestLabelMatcherAgreesWithAlertmanager(t *testing.T) {
	values := []string{"", "db-1", "db-12", "web-1", "DB-1", "prod", "prod-eu", "a.b", "Disk full", "ü", "x\ny"}
	patterns := []string{"db-1", "db-.*", "db-[0-9]", "prod|staging", ".*", ".+", "", "(?i)db-1", "a.b", `a\.b`, "Disk full", "ü?", "x.y", "(?s)x.y", "db-1|web-1"}
	for _, p := range patterns {
		for _, op := range []struct{ regex, equal bool }{{false, true}, {false, false}, {true, true}, {true, false}} {
			want, err := matcher.New("l", p, op.regex, op.equal)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := CompileMatchers([]SilenceMatcher{{Name: "l", Value: p, IsRegex: op.regex, IsEqual: op.equal}, {Name: "anchor", Value: "x", IsEqual: true}})
			if err != nil {
				t.Fatalf("%s%s%q: %v", "l", want.Type(), p, err)
			}
			for _, v := range values {
				if got, w := ms[0].Matches(v), want.Matches(map[string]string{"l": v}); got != w {
					t.Errorf("l%s%q on %q = %v, Alertmanager says %v", want.Type(), p, v, got, w)
				}
			}
			if s := (SilenceMatcher{Name: "l", Value: p, IsRegex: op.regex, IsEqual: op.equal}); s.Op() != string(want.Type()) {
				t.Errorf("Op() = %s, want %s", s.Op(), want.Type())
			}
		}
	}
}

func TestSilenceValidate(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func() *Silence {
		return &Silence{Matchers: []SilenceMatcher{{Name: "alertname", Value: "X", IsEqual: true}}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a"}
	}
	if err := ok().Validate(); err != nil {
		t.Fatalf("valid silence: %v", err)
	}
	neg := int64(-1)
	cases := []struct {
		name  string
		mod   func(*Silence)
		field string
	}{
		{"no matchers", func(s *Silence) { s.Matchers = nil }, "matchers"},
		{"all match empty", func(s *Silence) {
			s.Matchers = []SilenceMatcher{{Name: "a", Value: ".*", IsRegex: true, IsEqual: true}}
		}, "matchers"},
		{"a != matches empty too", func(s *Silence) { s.Matchers = []SilenceMatcher{{Name: "a", Value: "x"}} }, "matchers"},
		{"bad regex", func(s *Silence) { s.Matchers[0] = SilenceMatcher{Name: "a", Value: "[", IsRegex: true, IsEqual: true} }, "matchers[0].value"},
		{"name not UTF-8", func(s *Silence) { s.Matchers[0].Name = "\xff" }, "matchers[0].name"},
		{"no start", func(s *Silence) { s.StartsAt = time.Time{} }, "starts_at"},
		{"no end", func(s *Silence) { s.EndsAt = time.Time{} }, "ends_at"},
		{"end = start", func(s *Silence) { s.EndsAt = s.StartsAt }, "ends_at"},
		{"eleven years", func(s *Silence) { s.EndsAt = s.StartsAt.Add(11 * 366 * 24 * time.Hour) }, "ends_at"},
		{"no author", func(s *Silence) { s.CreatedBy = " " }, "created_by"},
		{"annotation name empty", func(s *Silence) { s.Annotations = map[string]string{"": "v"} }, "annotations"},
		{"bad service", func(s *Silence) { s.ServiceID = &neg }, "service_id"},
	}
	for _, c := range cases {
		s := ok()
		c.mod(s)
		err := s.Validate()
		if ErrorCode(err) != CodeInvalid || ErrorField(err) != c.field {
			t.Errorf("%s: %v (field %q), want invalid %s", c.name, err, ErrorField(err), c.field)
		}
	}
	// A != next to an = is fine: the = cannot match an absent label.
	s := ok()
	s.Matchers = append(s.Matchers, SilenceMatcher{Name: "env", Value: "prod"})
	if err := s.Validate(); err != nil {
		t.Errorf("= with !=: %v", err)
	}
}

func TestSilenceStateAndUnused(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &Silence{StartsAt: t0, EndsAt: t0.Add(10 * 24 * time.Hour)}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{t0.Add(-time.Microsecond), SilencePending},
		{t0, SilenceActive},
		{t0.Add(10*24*time.Hour - time.Microsecond), SilenceActive},
		{t0.Add(10 * 24 * time.Hour), SilenceExpired},
	} {
		if got := s.StateAt(c.at); got != c.want {
			t.Errorf("state at %v = %s, want %s", c.at, got, c.want)
		}
	}
	if s.UnusedAt(t0.Add(7*24*time.Hour-time.Second), DefaultSilenceUnusedAfter) || !s.UnusedAt(t0.Add(7*24*time.Hour), DefaultSilenceUnusedAfter) {
		t.Error("a silence that never matched is unused exactly 7 days after its start")
	}
	m := t0.Add(5 * 24 * time.Hour)
	s.LastMatchedAt = &m
	if s.UnusedAt(t0.Add(8*24*time.Hour), DefaultSilenceUnusedAfter) {
		t.Error("counted from the start, not the last match")
	}
	if s.UnusedAt(t0.Add(11*24*time.Hour), time.Hour) {
		t.Error("an expired silence is not flagged")
	}
}

func TestAlertLabels(t *testing.T) {
	l := AlertLabels{Labels: map[string]string{"alertname": "", "env": "prod", "empty": ""}, Summary: "Disk full", Severity: SeverityWarning}
	if l.Get("alertname") != "Disk full" || l.Get("severity") != "warning" || l.Get("env") != "prod" || l.Get("missing") != "" {
		t.Errorf("Get: %q %q %q", l.Get("alertname"), l.Get("severity"), l.Get("env"))
	}
	seen := map[string]string{}
	l.Each(func(k, v string) { seen[k] = v })
	if len(seen) != 3 || seen["alertname"] != "Disk full" || seen["severity"] != "warning" || seen["env"] != "prod" {
		t.Errorf("Each = %v", seen)
	}
	own := AlertLabels{Labels: map[string]string{"alertname": "DiskFull", "severity": "page"}, Summary: "x", Severity: SeverityInfo}
	if m := own.Map(); m["alertname"] != "DiskFull" || m["severity"] != "page" {
		t.Errorf("the sender's labels win: %v", m)
	}
}
