package web

import (
	"context"
	"slices"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// muteView says that an alert of an incident mutes others now through an
// inhibition rule: the other side of a held alert's "inhibited by".
type muteView struct {
	RuleID   int64
	RuleName string
	Count    int
	// Capped: the held alerts were too many to read them all, so Count
	// is a lower bound.
	Capped bool
}

// alertMutes maps the firing alerts among alerts to what they mute now,
// by rule. Without inhibition rules, or with no firing alert, it reads
// nothing more.
func (u *UI) alertMutes(ctx context.Context, alerts []*vigil.Alert) (map[int64][]muteView, error) {
	if !slices.ContainsFunc(alerts, func(a *vigil.Alert) bool { return a.Status == vigil.AlertFiring }) {
		return nil, nil
	}
	rules, err := u.store.ListInhibitRules(ctx)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	held, capped, err := u.allHeld(ctx)
	if err != nil {
		return nil, err
	}
	mine := map[int64]bool{}
	for _, a := range alerts {
		mine[a.ID] = true
	}
	counts := map[[2]int64]int{} // (source alert, rule) -> muted alerts
	for _, a := range held {
		if a.InhibitedByAlert != nil && a.InhibitedByRule != nil && mine[*a.InhibitedByAlert] {
			counts[[2]int64{*a.InhibitedByAlert, *a.InhibitedByRule}]++
		}
	}
	names := map[int64]string{}
	for _, r := range rules {
		names[r.ID] = r.Name
	}
	out := map[int64][]muteView{}
	for k, n := range counts {
		name := names[k[1]]
		if name == "" {
			name = "rule #" + itoa(k[1])
		}
		out[k[0]] = append(out[k[0]], muteView{RuleID: k[1], RuleName: name, Count: n, Capped: capped})
	}
	for _, v := range out {
		slices.SortFunc(v, func(a, b muteView) int { return int(a.RuleID - b.RuleID) })
	}
	return out, nil
}
