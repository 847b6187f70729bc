package web

import (
	"context"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// holdView says what keeps a held alert off incidents, linking to it: a
// silence, a maintenance window, an inhibition rule (with the firing alert
// that mutes it) or a classification rule.
type holdView struct {
	// Kind is the badge's CSS class: silenced, maintenance, inhibited,
	// suppressed or paused.
	Kind string
	Text string
	URL  string // "" when there is no page to link to
	// SourceID is the alert that mutes an inhibited alert, and
	// SourceIncident its incident (0 when it has none).
	SourceID       int64
	SourceIncident int64
}

// holdNames are what a list of held alerts needs to name their holds.
type holdNames struct {
	windows   map[int64]string
	rules     map[int64]string
	incidents map[int64]int64 // inhibiting alert -> its incident
}

// loadHoldNames reads the names of the windows and rules that hold alerts,
// and the incidents of the alerts that mute them.
func (u *UI) loadHoldNames(ctx context.Context, alerts []*vigil.Alert) (holdNames, error) {
	h := holdNames{windows: map[int64]string{}, rules: map[int64]string{}, incidents: map[int64]int64{}}
	var needWindows, needRules bool
	for _, a := range alerts {
		needWindows = needWindows || a.HeldByWindow != nil
		needRules = needRules || a.InhibitedByRule != nil
		if a.InhibitedByAlert == nil {
			continue
		}
		id := *a.InhibitedByAlert
		if _, seen := h.incidents[id]; seen {
			continue
		}
		src, err := u.store.FindAlertByID(ctx, id)
		switch vigil.ErrorCode(err) {
		case "":
			h.incidents[id] = src.IncidentID
		case vigil.CodeNotFound:
			h.incidents[id] = 0
		default:
			return h, err
		}
	}
	if needWindows {
		ws, err := u.store.ListMaintenanceWindows(ctx)
		if err != nil {
			return h, err
		}
		for _, w := range ws {
			h.windows[w.ID] = w.Name
		}
	}
	if needRules {
		rs, err := u.store.ListInhibitRules(ctx)
		if err != nil {
			return h, err
		}
		for _, r := range rs {
			h.rules[r.ID] = r.Name
		}
	}
	return h, nil
}

// view says what holds a, if anything does.
func (h holdNames) view(a *vigil.Alert) holdView {
	kind, held := a.Held()
	if !held {
		return holdView{}
	}
	named := func(names map[int64]string, id int64, what string) string {
		if n := names[id]; n != "" {
			return n
		}
		return what + " #" + itoa(id)
	}
	switch kind {
	case "silence":
		return holdView{Kind: "silenced", Text: "silenced by #" + itoa(*a.SilencedBy), URL: silenceURL(*a.SilencedBy)}
	case "maintenance":
		id := *a.HeldByWindow
		return holdView{Kind: "maintenance", Text: "maintenance: " + named(h.windows, id, "window"), URL: maintenanceURL(id)}
	case "inhibited":
		id := *a.InhibitedByRule
		v := holdView{Kind: "inhibited", Text: "inhibited by " + named(h.rules, id, "rule"), URL: inhibitRuleURL(id)}
		if a.InhibitedByAlert != nil {
			v.SourceID = *a.InhibitedByAlert
			v.SourceIncident = h.incidents[v.SourceID]
		}
		return v
	case "paused":
		return holdView{Kind: "paused", Text: "paused until " + a.PausedUntil.UTC().Format("15:04 MST") + " (pages then if still firing)"}
	default:
		return holdView{Kind: "suppressed", Text: "suppressed by rule " + a.SuppressedBy}
	}
}

// maintenanceURL is a maintenance window's page.
func maintenanceURL(id int64) string { return "/maintenance/" + itoa(id) }

// inhibitRuleURL is an inhibition rule's page.
func inhibitRuleURL(id int64) string { return "/inhibit-rules/" + itoa(id) }

// heldRowsNamed is heldRows for alerts held by anything, reading the names
// of the windows and rules that hold them.
func (u *UI) heldRowsNamed(ctx context.Context, alerts []*vigil.Alert, names map[int64]string) ([]heldAlertRow, error) {
	holds, err := u.loadHoldNames(ctx, alerts)
	if err != nil {
		return nil, err
	}
	return u.heldRows(alerts, names, holds), nil
}

// heldWhere lists the alerts f selects (one window's or rule's), at most
// maxHeldShown, with how many there are in all.
func (u *UI) heldWhere(ctx context.Context, f vigil.AlertFilter, names map[int64]string) ([]heldAlertRow, int, error) {
	f.Limit = maxHeldShown
	held, total, err := u.store.FindAlerts(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	rows, err := u.heldRowsNamed(ctx, held, names)
	return rows, total, err
}

// servicesNamed lists every service (for the forms' choices) and maps
// their ids to their names.
func (u *UI) servicesNamed(ctx context.Context) ([]*vigil.Service, map[int64]string, error) {
	services, _, err := u.store.FindServices(ctx, vigil.ServiceFilter{Limit: vigil.MaxPageSize})
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(services))
	for _, s := range services {
		names[s.ID] = s.Name
	}
	return services, names, nil
}
