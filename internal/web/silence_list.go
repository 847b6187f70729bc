package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// silencePageSize is the number of silences per page of the list.
const silencePageSize = 50

// maxHeldScan bounds how many firing alerts one page reads to find those
// silences hold (the store has no query for "alerts held by silence N");
// past it the counts are lower bounds and say so.
const maxHeldScan = vigil.MaxCountedTotal

// maxHeldShown bounds the held alerts a page lists.
const maxHeldShown = 200

// silenceListPage is the model of silence_list.html.
type silenceListPage struct {
	layout
	// Tab is "current" (active and pending) or "expired".
	Tab      string
	Silences []silenceRow
	Total    int
	Page     int
	Pages    int
	PrevURL  string
	NextURL  string
	// Held are the alerts active silences hold now (current tab only),
	// newest first, at most maxHeldShown; HeldTotal counts them all.
	Held      []heldAlertRow
	HeldTotal int
	// HeldCapped says the firing alerts were too many to read them all,
	// so counts are lower bounds.
	HeldCapped bool
}

// silenceRow is a silence as the list and its page show it.
type silenceRow struct {
	*vigil.Silence
	// Service is the name of the service it is limited to, ServiceRef
	// its id; "" and 0 for every service.
	Service    string
	ServiceRef int64
	Matchers   []string
	Starts     timeLabel
	Ends       timeLabel
	// Held is how many firing alerts it holds now; HeldText says it
	// ("12", or "10000+" when the count was capped).
	Held      int
	HeldText  string
	CanExpire bool
}

// timeLabel is a time as the silence pages show it: in UTC, like the rest
// of the UI, and relative to now ("in 2h", "3d ago"), which reads the same
// in every zone.
type timeLabel struct {
	At   time.Time
	Text string
}

// heldAlertRow is a firing alert a silence, maintenance window or
// inhibition holds: stored, in no incident.
type heldAlertRow struct {
	*vigil.Alert
	ServiceName  string
	Hold         holdView
	SortedLabels []labelView
	Since        timeLabel
}

// silenceList answers GET /silences: active and pending silences, or with
// ?state=expired the ended ones.
func (u *UI) silenceList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	m := silenceListPage{Tab: "current", Page: 1}
	states := []string{vigil.SilenceActive, vigil.SilencePending}
	if q.Get("state") == vigil.SilenceExpired {
		m.Tab, states = vigil.SilenceExpired, []string{vigil.SilenceExpired}
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p <= 1_000_000 {
		m.Page = p
	}
	list, total, err := u.store.FindSilences(ctx, vigil.SilenceFilter{
		States: states, Offset: (m.Page - 1) * silencePageSize, Limit: silencePageSize,
	})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	names, err := u.serviceNames(ctx)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	var held map[int64][]*vigil.Alert
	if m.Tab == "current" {
		if held, m.HeldCapped, err = u.heldAlerts(ctx, 0); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	for _, s := range list {
		m.Silences = append(m.Silences, u.newSilenceRow(s, names, len(held[s.ID]), m.HeldCapped))
	}
	if m.Tab == "current" {
		var all []*vigil.Alert
		for _, s := range list {
			all = append(all, held[s.ID]...)
		}
		// Silences past this page hold alerts too: list those as well.
		for id, as := range held {
			if !slices.ContainsFunc(list, func(s *vigil.Silence) bool { return s.ID == id }) {
				all = append(all, as...)
			}
		}
		m.HeldTotal = len(all)
		m.Held = u.heldRows(all, names, holdNames{})
	}
	m.Total = total
	m.Pages = max(1, (total+silencePageSize-1)/silencePageSize)
	if m.Page > 1 {
		m.PrevURL = silencesURL(m.Tab, m.Page-1)
	}
	if m.Page < m.Pages {
		m.NextURL = silencesURL(m.Tab, m.Page+1)
	}
	title := "Silences"
	if m.Tab == vigil.SilenceExpired {
		title = "Expired silences"
	}
	m.layout = u.layout(w, r, title, "silences")
	u.render(w, r, http.StatusOK, "silence_list.html", m)
}

// silencesURL is the list's tab at page p.
func silencesURL(tab string, p int) string {
	v := url.Values{}
	if tab == vigil.SilenceExpired {
		v.Set("state", vigil.SilenceExpired)
	}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if len(v) == 0 {
		return "/silences"
	}
	return "/silences?" + v.Encode()
}

// newSilenceRow prepares a silence for display.
func (u *UI) newSilenceRow(s *vigil.Silence, names map[int64]string, held int, capped bool) silenceRow {
	row := silenceRow{
		Silence:   s,
		Matchers:  matcherTexts(s.Matchers),
		Starts:    u.timeLabel(s.StartsAt),
		Ends:      u.timeLabel(s.EndsAt),
		Held:      held,
		HeldText:  strconv.Itoa(held),
		CanExpire: s.State != vigil.SilenceExpired,
	}
	if capped {
		row.HeldText += "+"
	}
	if s.ServiceID != nil {
		row.ServiceRef = *s.ServiceID
		row.Service = names[*s.ServiceID]
		if row.Service == "" {
			row.Service = "service " + itoa(*s.ServiceID)
		}
	}
	return row
}

// heldAlerts maps silence ids to the firing alerts they hold now (no
// incident, silenced_by set), reading the firing alerts of one service (or
// all, 0). capped reports that there were more than maxHeldScan.
func (u *UI) heldAlerts(ctx context.Context, serviceID int64) (held map[int64][]*vigil.Alert, capped bool, err error) {
	alerts, err := u.store.FindFiringAlerts(ctx, serviceID, maxHeldScan)
	if err != nil {
		return nil, false, err
	}
	held = map[int64][]*vigil.Alert{}
	for _, a := range alerts {
		if a.IncidentID == 0 && a.SilencedBy != nil {
			held[*a.SilencedBy] = append(held[*a.SilencedBy], a)
		}
	}
	return held, len(alerts) >= maxHeldScan, nil
}

// heldRows shows held alerts newest first, at most maxHeldShown, saying
// what holds each (holds names the windows and rules; the zero value will
// do for alerts that silences hold).
func (u *UI) heldRows(alerts []*vigil.Alert, names map[int64]string, holds holdNames) []heldAlertRow {
	slices.SortFunc(alerts, func(a, b *vigil.Alert) int {
		if c := b.FirstSeen.Compare(a.FirstSeen); c != 0 {
			return c
		}
		return int(b.ID - a.ID)
	})
	if len(alerts) > maxHeldShown {
		alerts = alerts[:maxHeldShown]
	}
	rows := make([]heldAlertRow, 0, len(alerts))
	for _, a := range alerts {
		row := heldAlertRow{Alert: a, ServiceName: names[a.ServiceID], Since: u.timeLabel(a.FirstSeen), Hold: holds.view(a)}
		row.SortedLabels = newAlertView(a).SortedLabels
		rows = append(rows, row)
	}
	return rows
}

// serviceNames maps every service's id to its name.
func (u *UI) serviceNames(ctx context.Context) (map[int64]string, error) {
	services, _, err := u.store.FindServices(ctx, vigil.ServiceFilter{Limit: vigil.MaxPageSize})
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(services))
	for _, s := range services {
		names[s.ID] = s.Name
	}
	return names, nil
}

// timeLabel shows t in UTC with how far it is from now.
func (u *UI) timeLabel(t time.Time) timeLabel {
	return timeLabel{At: t, Text: t.UTC().Format("2006-01-02 15:04 UTC") + " (" + relativeTo(u.clock.Now(), t) + ")"}
}

// relativeTo says how far t is from now: "in 2h", "1h 30m ago", "now".
func relativeTo(now, t time.Time) string {
	d := t.Sub(now)
	switch {
	case d > -time.Second && d < time.Second:
		return "now"
	case d > 0:
		return "in " + roughDuration(d)
	default:
		return roughDuration(-d) + " ago"
	}
}

// roughDuration is d in its two largest units: "45s", "12m", "1h 30m",
// "3d 4h".
func roughDuration(d time.Duration) string {
	d = d.Round(time.Second)
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int64(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int64(d/time.Minute))
	case d < 48*time.Hour:
		return two(int64(d/time.Hour), "h", int64(d%time.Hour/time.Minute), "m")
	default:
		return two(int64(d/(24*time.Hour)), "d", int64(d%(24*time.Hour)/time.Hour), "h")
	}
}
