package triage

import (
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestInhibition(t *testing.T) {
	rules := []vigil.InhibitRule{
		{Name: "cluster down mutes its nodes", Source: []string{`alertname="ClusterDown"`}, Target: []string{`alertname=~"Node.*"`}, Equal: []string{"cluster"}},
		{Name: "critical mutes warning", Source: []string{`severity="critical"`}, Target: []string{`severity="warning"`}, Equal: []string{"alertname", "instance"}},
		{Name: "two-sided", Source: []string{`team="db"`}, Target: []string{`team="db"`}, Equal: []string{"env"}},
	}
	in, err := CompileInhibitRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		target map[string]string
		firing []map[string]string
		rule   string // "" = not muted
		source int
	}{
		{"node alert under its cluster", l("alertname", "NodeDown", "cluster", "eu"),
			[]map[string]string{l("alertname", "Other"), l("alertname", "ClusterDown", "cluster", "eu")}, "cluster down mutes its nodes", 1},
		{"another cluster is down", l("alertname", "NodeDown", "cluster", "eu"),
			[]map[string]string{l("alertname", "ClusterDown", "cluster", "us")}, "", 0},
		{"equal label absent on both counts as equal", l("alertname", "NodeDown"),
			[]map[string]string{l("alertname", "ClusterDown")}, "cluster down mutes its nodes", 0},
		{"equal label absent on one side only", l("alertname", "NodeDown", "cluster", "eu"),
			[]map[string]string{l("alertname", "ClusterDown")}, "", 0},
		{"nothing fires", l("alertname", "NodeDown"), nil, "", 0},
		{"critical mutes the same alert's warning", l("alertname", "Disk", "instance", "db1", "severity", "warning"),
			[]map[string]string{l("alertname", "Disk", "instance", "db1", "severity", "critical")}, "critical mutes warning", 0},
		{"but not another instance's", l("alertname", "Disk", "instance", "db2", "severity", "warning"),
			[]map[string]string{l("alertname", "Disk", "instance", "db1", "severity", "critical")}, "", 0},
		{"the target matcher must match", l("alertname", "Disk", "instance", "db1", "severity", "critical"),
			[]map[string]string{l("alertname", "Disk", "instance", "db1", "severity", "critical")}, "", 0},
		{"two alerts matching both sides do not mute each other", l("team", "db", "env", "prod", "alertname", "A"),
			[]map[string]string{l("team", "db", "env", "prod", "alertname", "B")}, "", 0},
	}
	for _, tt := range tests {
		got, ok := in.Muted(tt.target, tt.firing)
		if ok != (tt.rule != "") || (ok && (got.Rule.Name != tt.rule || got.Source != tt.source)) {
			t.Errorf("%s: Muted = %+v, %v; want rule %q source %d", tt.name, got, ok, tt.rule, tt.source)
		}
	}
	var none *Inhibitor
	if _, ok := none.Muted(l("a", "b"), []map[string]string{l("a", "b")}); ok {
		t.Error("no rules muted an alert")
	}
}

func TestInhibitRulesInvalid(t *testing.T) {
	ok := vigil.InhibitRule{Name: "r", Source: []string{`a="1"`}, Target: []string{`b="2"`}}
	tests := []struct {
		field  string
		change func(r *vigil.InhibitRule)
	}{
		{"rules[1].name", func(r *vigil.InhibitRule) { r.Name = "" }},
		{"rules[1].source_matchers", func(r *vigil.InhibitRule) { r.Source = nil }},
		{"rules[1].target_matchers", func(r *vigil.InhibitRule) { r.Target = nil }},
		{"rules[1].source_matchers[0]", func(r *vigil.InhibitRule) { r.Source = []string{`a=~"["`} }},
		{"rules[1].target_matchers[1]", func(r *vigil.InhibitRule) { r.Target = []string{`b="2"`, `=`} }},
		{"rules[1].equal[0]", func(r *vigil.InhibitRule) { r.Equal = []string{" "} }},
		{"rules[1].source_matchers", func(r *vigil.InhibitRule) { r.Source = []string{`team!="db"`, `env=~".*"`} }},
	}
	for _, tt := range tests {
		bad := ok
		tt.change(&bad)
		_, err := CompileInhibitRules([]vigil.InhibitRule{ok, bad})
		if f := vigil.ErrorField(err); f != tt.field {
			t.Errorf("want an error on %s, got %v", tt.field, err)
		}
	}
}

func TestInhibitTargetsAndSources(t *testing.T) {
	in, err := CompileInhibitRules([]vigil.InhibitRule{
		{Name: "cluster", Source: []string{`alertname="ClusterDown"`}, Target: []string{`alertname=~"Node.*"`}, Equal: []string{"cluster"}},
		{Name: "severity", Source: []string{`severity="critical"`}, Target: []string{`severity="warning"`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		labels         map[string]string
		target, source bool
	}{
		{map[string]string{"alertname": "NodeDown"}, true, false},
		{map[string]string{"alertname": "ClusterDown"}, false, true},
		{map[string]string{"alertname": "Disk", "severity": "warning"}, true, false},
		{map[string]string{"alertname": "Disk", "severity": "critical"}, false, true},
		{map[string]string{"alertname": "NodeDown", "severity": "critical"}, true, true},
		{map[string]string{"alertname": "Other"}, false, false},
	}
	for _, tt := range tests {
		if got := in.Targets(tt.labels); got != tt.target {
			t.Errorf("Targets(%v) = %v", tt.labels, got)
		}
		if got := in.Sources(tt.labels); got != tt.source {
			t.Errorf("Sources(%v) = %v", tt.labels, got)
		}
	}
	var none *Inhibitor
	if none.Targets(map[string]string{"alertname": "NodeDown"}) || none.Sources(map[string]string{"alertname": "ClusterDown"}) || none.Len() != 0 {
		t.Error("a nil inhibitor matched")
	}
	if in.Len() != 2 {
		t.Errorf("Len = %d", in.Len())
	}
}

// The index finds what testing every rule finds.
func TestInhibitIndexLikeAScan(t *testing.T) {
	rules := []vigil.InhibitRule{
		{Name: "eq", Source: []string{`alertname="ClusterDown"`}, Target: []string{`alertname="NodeDown"`}},
		{Name: "prefix", Source: []string{`alertname=~"Cluster.*"`, `env!="dev"`}, Target: []string{`instance=~"db-[0-9]+"`}},
		{Name: "no prefix", Source: []string{`alertname=~".*Down"`}, Target: []string{`instance=~"(web|db)-1"`}},
		{Name: "negative only target", Source: []string{`severity="critical"`}, Target: []string{`severity!="critical"`, `team=~"ops|db"`}},
		{Name: "empty-matching regex", Source: []string{`team=~"db|"`, `severity="critical"`}, Target: []string{`team=~"d.*"`}},
		{Name: "case", Source: []string{`alertname=~"(?i)cluster.*"`}, Target: []string{`alertname=~"Node.+"`}},
	}
	in, err := CompileInhibitRules(rules)
	if err != nil {
		t.Fatal(err)
	}
	var sets []map[string]string
	for _, an := range []string{"", "ClusterDown", "clusterdown", "NodeDown", "Nodes", "Node"} {
		for _, inst := range []string{"", "db-1", "db-12", "web-1", "db-x"} {
			for _, team := range []string{"", "db", "ops", "dx"} {
				for _, sev := range []string{"", "critical", "warning"} {
					m := map[string]string{}
					for k, v := range map[string]string{"alertname": an, "instance": inst, "team": team, "severity": sev} {
						if v != "" {
							m[k] = v
						}
					}
					sets = append(sets, m)
				}
			}
		}
	}
	for _, l := range sets {
		wantT, wantS := false, false
		for _, r := range in.rules {
			wantT = wantT || r.target.Matches(l)
			wantS = wantS || r.source.Matches(l)
		}
		if got := in.Targets(l); got != wantT {
			t.Errorf("Targets(%v) = %v, a scan says %v", l, got, wantT)
		}
		if got := in.Sources(l); got != wantS {
			t.Errorf("Sources(%v) = %v, a scan says %v", l, got, wantS)
		}
		// Muted: the first rule in order whose target matches and that has
		// a source, as a scan finds it.
		got, ok := in.Muted(l, sets)
		want, wantOK := naiveMuted(in, l, sets)
		if ok != wantOK || got.Rule.Name != want.Rule.Name || got.Source != want.Source {
			t.Errorf("Muted(%v) = %+v %v, a scan says %+v %v", l, got, ok, want, wantOK)
		}
	}
}

func naiveMuted(in *Inhibitor, labels map[string]string, firing []map[string]string) (Inhibition, bool) {
	for _, r := range in.rules {
		if !r.target.Matches(labels) {
			continue
		}
		twoSided := r.source.Matches(labels)
		for j, src := range firing {
			if r.source.Matches(src) && !(twoSided && r.target.Matches(src)) && equalLabels(r.rule.Equal, labels, src) {
				return Inhibition{Rule: r.rule, Source: j}, true
			}
		}
	}
	return Inhibition{}, false
}
