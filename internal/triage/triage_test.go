package triage

import (
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestDedupKey(t *testing.T) {
	a := &vigil.Event{Summary: "disk full", Source: "db1"}
	b := &vigil.Event{Summary: "disk full", Source: "db2"}
	if DedupKey(a) == DedupKey(b) {
		t.Fatal("different sources must give different derived keys")
	}
	if DedupKey(a) != DedupKey(&vigil.Event{Summary: "disk full", Source: "db1"}) {
		t.Fatal("derived key must be stable")
	}
	if got := DedupKey(&vigil.Event{DedupKey: "k1", Summary: "x"}); got != "k1" {
		t.Fatalf("explicit key: got %q", got)
	}
}

func TestGroup(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	byLabels := vigil.GroupingRule{Mode: vigil.GroupByLabels, Labels: []string{"cluster", "alertname"}}
	cases := []struct {
		name string
		rule vigil.GroupingRule
		ev   vigil.Event
		want Grouping
	}{
		{"default window", vigil.GroupingRule{}, vigil.Event{}, Grouping{Since: now.Add(-5 * time.Minute)}},
		{"custom window", vigil.GroupingRule{Mode: vigil.GroupByTime, Window: vigil.Duration(time.Hour)}, vigil.Event{}, Grouping{Since: now.Add(-time.Hour)}},
		{"none", vigil.GroupingRule{Mode: vigil.GroupNone}, vigil.Event{}, Grouping{New: true}},
		{"adapter key wins", vigil.GroupingRule{Mode: vigil.GroupNone}, vigil.Event{GroupKey: "{}:{alertname=\"x\"}"}, Grouping{Key: "g:{}:{alertname=\"x\"}"}},
		{"labels", byLabels, vigil.Event{Labels: map[string]string{"cluster": "eu", "alertname": "Down", "pod": "a"}},
			Grouping{Key: LabelGroupKey([]string{"alertname", "cluster"}, map[string]string{"cluster": "eu", "alertname": "Down"})}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Group(c.rule, &c.ev, now); got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestLabelGroupKey(t *testing.T) {
	names := []string{"cluster", "alertname"}
	a := LabelGroupKey(names, map[string]string{"cluster": "eu", "alertname": "Down", "pod": "a"})
	b := LabelGroupKey(names, map[string]string{"cluster": "eu", "alertname": "Down", "pod": "b"})
	c := LabelGroupKey(names, map[string]string{"cluster": "us", "alertname": "Down"})
	if a != b {
		t.Error("labels outside the rule must not split groups")
	}
	if a == c {
		t.Error("different values of a grouped label must split groups")
	}
	// Name/value boundaries must not collide: {a="b\x00c"} vs {a="b", c=""}.
	if LabelGroupKey([]string{"a"}, map[string]string{"a": "xy"}) == LabelGroupKey([]string{"a", "b"}, map[string]string{"a": "xy"}) {
		t.Error("a different label set must give a different key")
	}
}
