package triage

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// NoiseThresholds are when the counts of a noise report argue for a
// change. A suggestion needs enough events to be more than chance, and
// most of them pointing the same way.
type NoiseThresholds struct {
	// Silence: an alert kind that fired at least SilenceAlerts times and
	// whose incidents were mostly marked noise (more noise than
	// actionable, and at least half of them), or whose alerts mostly
	// (QuickShare percent) resolved within minutes while no one
	// acknowledged, and none marked actionable.
	SilenceAlerts int
	QuickShare    int
	// SilenceFor is the duration the suggested silence lasts.
	SilenceFor time.Duration
	// Inhibit: the target opened right after the source at least
	// PairTimes times, and at least PairShare percent of the times it
	// opened.
	PairTimes int
	PairShare int
	// Group window: at least RefireTimes incidents of one group opened
	// soon after the previous one resolved, and at least RefireShare
	// percent of its incidents.
	RefireTimes int
	RefireShare int
	// MinWindow is the least group window suggested.
	MinWindow time.Duration
}

// DefaultNoiseThresholds are the thresholds of the report.
var DefaultNoiseThresholds = NoiseThresholds{
	SilenceAlerts: 5, QuickShare: 80, SilenceFor: 7 * 24 * time.Hour,
	PairTimes: 3, PairShare: 50,
	RefireTimes: 3, RefireShare: 50,
	MinWindow: 30 * time.Minute,
}

// SuggestNoise draws suggestions from a report's facts (alert groups,
// pairs, re-fires), in that order, each group as the facts were listed.
func SuggestNoise(r *vigil.NoiseReport, th NoiseThresholds) []vigil.NoiseSuggestion {
	out := []vigil.NoiseSuggestion{}
	for _, g := range r.AlertGroups {
		if s, ok := suggestSilence(g, th); ok {
			out = append(out, s)
		}
	}
	for _, p := range r.Pairs {
		if s, ok := suggestInhibit(p, th); ok {
			out = append(out, s)
		}
	}
	for _, f := range r.Refires {
		if s, ok := suggestGroupWindow(f, th); ok {
			out = append(out, s)
		}
	}
	return out
}

// atLeast reports whether part is at least pct percent of whole.
func atLeast(part, whole, pct int) bool { return whole > 0 && part*100 >= whole*pct }

func suggestSilence(g vigil.NoiseAlertGroup, th NoiseThresholds) (vigil.NoiseSuggestion, bool) {
	if g.Alerts < th.SilenceAlerts || g.AlertName == "" {
		return vigil.NoiseSuggestion{}, false
	}
	markedNoise := g.Noise > g.Actionable && atLeast(g.Noise, g.Incidents, 50)
	quick := g.Actionable == 0 && atLeast(g.QuickUnacked, g.Alerts, th.QuickShare)
	if !markedNoise && !quick {
		return vigil.NoiseSuggestion{}, false
	}
	var reason string
	if markedNoise {
		reason = fmt.Sprintf("%d of its %d incidents were marked noise (%d actionable).", g.Noise, g.Incidents, g.Actionable)
	} else {
		reason = fmt.Sprintf("%d of its %d alerts resolved within %s while no one acknowledged.", g.QuickUnacked, g.Alerts, vigil.Duration(vigil.QuickResolve))
	}
	m := vigil.SilenceMatcher{Name: "alertname", Value: g.AlertName, IsEqual: true}.String()
	dur := vigil.Duration(th.SilenceFor).String()
	if th.SilenceFor%(24*time.Hour) == 0 {
		dur = strconv.Itoa(int(th.SilenceFor/(24*time.Hour))) + "d"
	}
	comment := "noise report: " + g.AlertName + " on " + g.ServiceName
	link := url.Values{"matcher": {m}, "service_id": {strconv.FormatInt(g.ServiceID, 10)}, "duration": {dur}, "comment": {comment}}
	return vigil.NoiseSuggestion{
		Kind:   vigil.SuggestSilence,
		Title:  fmt.Sprintf("Silence %s on %s", g.AlertName, g.ServiceName),
		Reason: fmt.Sprintf("%s fired %d times on %s; %s", g.AlertName, g.Alerts, g.ServiceName, reason),
		Facts: []vigil.NoiseFact{{Label: "alerts", Value: g.Alerts}, {Label: "incidents", Value: g.Incidents},
			{Label: "marked noise", Value: g.Noise}, {Label: "marked actionable", Value: g.Actionable},
			{Label: "resolved quickly, unacknowledged", Value: g.QuickUnacked}},
		Command: fmt.Sprintf("vigil silence add %s --service %s --duration %s --comment %s",
			ShellQuote(m), ShellQuote(g.ServiceName), dur, ShellQuote(comment)),
		Link: "/silences/new?" + link.Encode(),
	}, true
}

func suggestInhibit(p vigil.NoisePair, th NoiseThresholds) (vigil.NoiseSuggestion, bool) {
	if p.Together < th.PairTimes || !atLeast(p.Together, p.TargetTimes, th.PairShare) ||
		p.SourceAlert == "" || p.TargetAlert == "" {
		return vigil.NoiseSuggestion{}, false
	}
	src := vigil.SilenceMatcher{Name: "alertname", Value: p.SourceAlert, IsEqual: true}.String()
	dst := vigil.SilenceMatcher{Name: "alertname", Value: p.TargetAlert, IsEqual: true}.String()
	name := p.SourceAlert + " mutes " + p.TargetAlert
	return vigil.NoiseSuggestion{
		Kind:  vigil.SuggestInhibit,
		Title: fmt.Sprintf("Inhibit %s (%s) while %s (%s) fires", p.TargetAlert, p.TargetService, p.SourceAlert, p.SourceService),
		Reason: fmt.Sprintf("%d of the %d times %s on %s opened incidents, %s on %s had opened one at most %s before.",
			p.Together, p.TargetTimes, p.TargetAlert, p.TargetService, p.SourceAlert, p.SourceService, vigil.Duration(vigil.PairGap)),
		Facts:   []vigil.NoiseFact{{Label: "opened together", Value: p.Together}, {Label: "times the target opened", Value: p.TargetTimes}},
		Command: fmt.Sprintf("vigil inhibit add --name %s --source %s --target %s", ShellQuote(name), ShellQuote(src), ShellQuote(dst)),
		Link:    "/inhibit-rules",
	}, true
}

func suggestGroupWindow(f vigil.NoiseRefire, th NoiseThresholds) (vigil.NoiseSuggestion, bool) {
	if f.SoonAfterResolve < th.RefireTimes || !atLeast(f.SoonAfterResolve, f.Incidents, th.RefireShare) {
		return vigil.NoiseSuggestion{}, false
	}
	group := f.ServiceName
	if f.GroupKey != "" {
		group += " (group " + f.GroupKey + ")"
	}
	s := vigil.NoiseSuggestion{
		Kind: vigil.SuggestGroupWindow,
		Reason: fmt.Sprintf("%d of the %d incidents of %s opened within %s of the previous one resolving.",
			f.SoonAfterResolve, f.Incidents, group, vigil.Duration(vigil.RefireGap)),
		Facts: []vigil.NoiseFact{{Label: "incidents", Value: f.Incidents}, {Label: "opened soon after a resolve", Value: f.SoonAfterResolve}},
		Link:  fmt.Sprintf("/services/%d", f.ServiceID),
	}
	var body string
	if f.Grouping.Mode == vigil.GroupByTime || f.Grouping.Mode == "" {
		window := 2 * time.Duration(f.Grouping.Window)
		if window < th.MinWindow {
			window = th.MinWindow
		}
		s.Title = fmt.Sprintf("Group %s's alerts over %s", f.ServiceName, vigil.Duration(window))
		body = fmt.Sprintf(`{"grouping":{"mode":"time","window":"%s"}}`, vigil.Duration(window))
	} else {
		// Label and per-alert grouping have no window: keeping the
		// incident open after its alerts resolve folds the re-fires in.
		s.Title = fmt.Sprintf("Keep %s's incidents open after their alerts resolve", f.ServiceName)
		body = `{"auto_resolve":false}`
	}
	s.Command = fmt.Sprintf(`curl -sS -X PATCH "$VIGIL_URL/api/v1/services/%d" -H "Authorization: Bearer $VIGIL_TOKEN" -H 'Content-Type: application/json' -d %s`,
		f.ServiceID, ShellQuote(body))
	return s, true
}

// ShellQuote quotes s for a POSIX shell when it needs it.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
