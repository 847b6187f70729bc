package matcher

import (
	"testing"
)

func TestParseAndMatch(t *testing.T) {
	labels := map[string]string{"alertname": "Disk full", "env": "prod", "instance": "web-1:9100"}
	cases := []struct {
		in    string
		match bool
	}{
		{`alertname="Disk full"`, true},
		{`alertname="Disk"`, false},
		{`env!=dev`, true},
		{`env!="prod"`, false},
		{`instance=~"web-.*"`, true},
		{`instance=~"web"`, false}, // anchored: a prefix does not match
		{`instance!~"db-.*"`, true},
		{`team!="db"`, true},             // absent label is empty
		{`team=""`, true},                // absent label is empty
		{`env=""`, false},                // present label is not empty
		{`{env="prod"}`, true},           // braces allowed
		{`team=~".*"`, true},             // matches the empty value too
		{`team=~".+"`, false},            // but not when it needs a character
		{`alertname="disk full"`, false}, // case-sensitive
	}
	for _, c := range cases {
		m, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := m.Matches(labels); got != c.match {
			t.Errorf("%s on %v = %v, want %v", c.in, labels, got, c.match)
		}
		// String reads back to a matcher that decides the same.
		again, err := Parse(m.String())
		if err != nil {
			t.Errorf("Parse(String()) of %q = %q: %v", c.in, m.String(), err)
		} else if again.Matches(labels) != c.match || again.Type() != m.Type() || again.Name() != m.Name() || again.Value() != m.Value() {
			t.Errorf("%q does not round-trip through %q", c.in, m.String())
		}
	}
}

func TestParseRefusesBadMatchers(t *testing.T) {
	for _, in := range []string{``, `alertname`, `=value`, `a=~"("`, `a=="b"`, `{a="b"`} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) accepted a bad matcher", in)
		}
	}
	if _, err := ParseEach([]string{`a="b"`, `c=~"["`}); err == nil {
		t.Error(`ParseEach accepted an invalid regular expression`)
	}
}

func TestSet(t *testing.T) {
	s, err := ParseSet(`{env="prod", team=~"db|web"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 {
		t.Fatalf("ParseSet gave %d matchers, want 2", len(s))
	}
	if !s.Matches(map[string]string{"env": "prod", "team": "web"}) {
		t.Error("set should match env=prod team=web")
	}
	if s.Matches(map[string]string{"env": "prod", "team": "ops"}) {
		t.Error("set should not match team=ops")
	}
	if !(Set{}).Matches(nil) {
		t.Error("an empty set matches everything")
	}
	if got, want := s.String(), `{env="prod",team=~"db|web"}`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestNewFromParts(t *testing.T) {
	cases := []struct {
		regex, equal bool
		want         Type
	}{{false, true, Equal}, {false, false, NotEqual}, {true, true, Regexp}, {true, false, NotRegexp}}
	for _, c := range cases {
		m, err := New("env", "prod", c.regex, c.equal)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type() != c.want || m.IsRegex() != c.regex || m.IsEqual() != c.equal {
			t.Errorf("New(regex=%v, equal=%v) = %s", c.regex, c.equal, m.Type())
		}
	}
	if _, err := New("env", "(", true, true); err == nil {
		t.Error("New accepted an invalid regular expression")
	}
	if _, err := New("", "x", false, true); err == nil {
		t.Error("New accepted an empty label name")
	}
}

// FuzzParse: parsing outside input never panics, and whatever parses
// prints to a form that parses to the same matcher.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`a="b"`, `{a!~"x|y"}`, `foo=~".*"`, `a="\"q\""`, `a=ünï`, `{a="b",c="d"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(m.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", s, m.String(), err)
		}
		if again.Name() != m.Name() || again.Value() != m.Value() || again.Type() != m.Type() {
			t.Fatalf("%q -> %q -> %q changed the matcher", s, m.String(), again.String())
		}
		_ = m.Matches(map[string]string{m.Name(): m.Value()})
	})
}
