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
