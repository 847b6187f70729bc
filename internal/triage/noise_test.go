package triage

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestSuggestNoise(t *testing.T) {
	th := DefaultNoiseThresholds
	group := func(alerts, incidents, noise, actionable, quick int) vigil.NoiseAlertGroup {
		return vigil.NoiseAlertGroup{ServiceID: 3, ServiceName: "checkout api", AlertName: "Disk's full", Alerts: alerts,
			Incidents: incidents, Noise: noise, Actionable: actionable, QuickUnacked: quick}
	}
	pair := func(together, target int) vigil.NoisePair {
		return vigil.NoisePair{SourceServiceID: 1, SourceService: "net", SourceAlert: "SwitchDown",
			TargetServiceID: 2, TargetService: "web", TargetAlert: "Down", Together: together, TargetTimes: target}
	}
	refire := func(mode string, window time.Duration, incidents, soon int) vigil.NoiseRefire {
		return vigil.NoiseRefire{ServiceID: 4, ServiceName: "jobs", Grouping: vigil.GroupingRule{Mode: mode, Window: vigil.Duration(window)},
			Incidents: incidents, SoonAfterResolve: soon}
	}
	tests := []struct {
		name string
		r    vigil.NoiseReport
		want []string // kind: title
		cmd  string   // a part of the first suggestion's command
		link string   // a part of its link
	}{
		{name: "nothing", r: vigil.NoiseReport{}},
		{name: "marked noise", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(12, 6, 4, 1, 0)}},
			want: []string{"silence: Silence Disk's full on checkout api"},
			cmd:  `vigil silence add 'alertname="Disk'\''s full"' --service 'checkout api' --duration 7d --comment 'noise report: Disk'\''s full on checkout api'`,
			link: "/silences/new?comment=noise+report"},
		{name: "too few alerts", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(4, 4, 4, 0, 4)}}},
		{name: "as much actionable as noise", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(10, 4, 2, 2, 0)}}},
		{name: "noise but under half", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(10, 10, 4, 1, 0)}}},
		{name: "quick and unacknowledged", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(10, 10, 0, 0, 8)}},
			want: []string{"silence: Silence Disk's full on checkout api"}},
		{name: "quick but once actionable", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(10, 10, 0, 1, 10)}}},
		{name: "quick under the share", r: vigil.NoiseReport{AlertGroups: []vigil.NoiseAlertGroup{group(10, 10, 0, 0, 7)}}},
		{name: "pair", r: vigil.NoiseReport{Pairs: []vigil.NoisePair{pair(3, 6)}},
			want: []string{"inhibit: Inhibit Down (web) while SwitchDown (net) fires"},
			cmd:  `vigil inhibit add --name 'SwitchDown mutes Down' --source 'alertname="SwitchDown"' --target 'alertname="Down"'`},
		{name: "pair too rare", r: vigil.NoiseReport{Pairs: []vigil.NoisePair{pair(2, 2)}}},
		{name: "pair under half of the target", r: vigil.NoiseReport{Pairs: []vigil.NoisePair{pair(3, 7)}}},
		{name: "time grouping doubles the window", r: vigil.NoiseReport{Refires: []vigil.NoiseRefire{refire(vigil.GroupByTime, time.Hour, 6, 3)}},
			want: []string{"group_window: Group jobs's alerts over 2h"},
			cmd:  `-d '{"grouping":{"mode":"time","window":"2h"}}'`, link: "/services/4"},
		{name: "at least the least window", r: vigil.NoiseReport{Refires: []vigil.NoiseRefire{refire(vigil.GroupByTime, 0, 3, 3)}},
			want: []string{"group_window: Group jobs's alerts over 30m"}},
		{name: "labels grouping keeps incidents open", r: vigil.NoiseReport{Refires: []vigil.NoiseRefire{refire(vigil.GroupByLabels, 0, 4, 3)}},
			want: []string{"group_window: Keep jobs's incidents open after their alerts resolve"}, cmd: `{"auto_resolve":false}`},
		{name: "refires under half", r: vigil.NoiseReport{Refires: []vigil.NoiseRefire{refire(vigil.GroupByTime, 0, 7, 3)}}},
		{name: "in order: silence, inhibit, window", r: vigil.NoiseReport{Refires: []vigil.NoiseRefire{refire("", 0, 3, 3)},
			Pairs: []vigil.NoisePair{pair(5, 5)}, AlertGroups: []vigil.NoiseAlertGroup{group(5, 5, 5, 0, 0)}},
			want: []string{"silence: Silence Disk's full on checkout api", "inhibit: Inhibit Down (web) while SwitchDown (net) fires", "group_window: Group jobs's alerts over 30m"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SuggestNoise(&tc.r, th)
			var titles []string
			for _, s := range got {
				titles = append(titles, s.Kind+": "+s.Title)
				if len(s.Facts) == 0 || s.Reason == "" || s.Command == "" {
					t.Errorf("%s: no facts, reason or command: %+v", s.Title, s)
				}
			}
			if strings.Join(titles, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("suggestions:\n%s\nwant:\n%s", strings.Join(titles, "\n"), strings.Join(tc.want, "\n"))
			}
			if tc.cmd != "" && !strings.Contains(got[0].Command, tc.cmd) {
				t.Errorf("command %q\nlacks %q", got[0].Command, tc.cmd)
			}
			if tc.link != "" && !strings.Contains(got[0].Link, tc.link) {
				t.Errorf("link %q lacks %q", got[0].Link, tc.link)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"web": "web", "a b": "'a b'", "": "''", "it's": `'it'\''s'`, `alertname="X"`: `'alertname="X"'`, "$HOME": "'$HOME'", "7d": "7d",
	} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
