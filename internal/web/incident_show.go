package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentShowPage is the model of incident_show.html.
type incidentShowPage struct {
	layout
	Incident    *vigil.Incident
	Alerts      []alertView
	AlertsTotal int
	// Timeline is the incident's timeline, bounded (see boundTimeline).
	Timeline []timelineItem
	// Changes are the service's change events from an hour before the
	// incident was created (see vigil.IncidentChangeFilter), newest first.
	Changes []changeView
	// Notifications is the incident's message log, newest first.
	Notifications  []notificationView
	CanAcknowledge bool
	CanResolve     bool
	CanReopen      bool
	Note           noteForm
	Edit           editForm
	// StatusUpdate is the "Post a status update" form.
	StatusUpdate statusUpdateForm
	// Feedback is the noise/actionable verdict (Verdict "" when none).
	Feedback *vigil.IncidentFeedback
	// Roles are the incident roles, held or not.
	Roles []roleView
}

// alertView is an alert with its labels in a stable order and only the
// links that are safe to follow.
type alertView struct {
	*vigil.Alert
	SortedLabels []labelView
	SafeLinks    []vigil.Link
	// SilenceURL is the "New silence" form pre-filled to silence alerts
	// like this one (incident page only).
	SilenceURL string
	// Mutes are the alerts it mutes now, by inhibition rule.
	Mutes []muteView
}

type labelView struct{ Name, Value string }

// noteForm is the "Add a note" form.
type noteForm struct {
	Body   string
	Errors formErrors
}

// editForm changes title and severity.
type editForm struct {
	Title           string
	SeverityOptions []option
	Errors          formErrors
}

// incidentShow answers GET /incidents/{id}.
func (u *UI) incidentShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	m, err := u.incidentShowModel(w, r, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "incident_show.html", m)
}

func (u *UI) incidentShowModel(w http.ResponseWriter, r *http.Request, id int64) (incidentShowPage, error) {
	ctx := r.Context()
	inc, err := u.store.FindIncidentByID(ctx, id)
	if err != nil {
		return incidentShowPage{}, err
	}
	timeline, err := u.store.FindTimeline(ctx, id)
	if err != nil {
		return incidentShowPage{}, err
	}
	// Stakeholders read the incident and its timeline (status updates
	// included) only: not its alerts, notifications, changes, verdict or
	// roles, which are for those who may read everything.
	var (
		alerts        []*vigil.Alert
		total         int
		changes       []*vigil.ChangeEvent
		notifications []notificationView
		groups        []*vigil.StakeholderGroup
		feedback      *vigil.IncidentFeedback
		roles         []roleView
	)
	if auth.PrincipalFromContext(ctx).Allows(vigil.PermRead) {
		alerts, total, err = u.store.FindAlerts(ctx, vigil.AlertFilter{IncidentID: &id, Limit: vigil.MaxPageSize})
		if err != nil {
			return incidentShowPage{}, err
		}
		// The same window as the API's incident changes: the hour before the
		// incident, plus a minute for a sender's clock that runs ahead. At
		// most vigil.DefaultPageSize are shown.
		changes, err = u.store.FindChangeEvents(ctx, vigil.IncidentChangeFilter(inc))
		if err != nil {
			return incidentShowPage{}, err
		}
		notifications, err = u.incidentNotificationList(ctx, id)
		if err != nil {
			return incidentShowPage{}, err
		}
		groups, err = u.store.ListStakeholderGroups(ctx)
		if err != nil {
			return incidentShowPage{}, err
		}
		feedback, err = u.store.FindIncidentFeedback(ctx, id)
		if err != nil {
			return incidentShowPage{}, err
		}
		roles, err = u.incidentRoleViews(ctx, id)
		if err != nil {
			return incidentShowPage{}, err
		}
	}
	m := incidentShowPage{
		Incident:       inc,
		Notifications:  notifications,
		AlertsTotal:    total,
		Timeline:       boundTimeline(timeline),
		Changes:        newChangeViews(changes),
		CanAcknowledge: inc.Status == vigil.IncidentTriggered,
		CanResolve:     inc.Status != vigil.IncidentResolved,
		CanReopen:      inc.Status == vigil.IncidentResolved,
		Edit: editForm{
			Title:           inc.Title,
			SeverityOptions: severityOptions(string(inc.Severity), false),
		},
		StatusUpdate: newStatusUpdateForm(groups, inc.Severity, nil),
		Feedback:     feedback,
		Roles:        roles,
	}
	for i := range m.Timeline {
		m.Timeline[i].Status = newStatusUpdateEntry(m.Timeline[i].Entry)
	}
	mutes, err := u.alertMutes(ctx, alerts)
	if err != nil {
		return incidentShowPage{}, err
	}
	for _, a := range alerts {
		v := newAlertView(a)
		v.SilenceURL = silenceLikeURL(a, "Silenced from incident "+inc.Number())
		v.Mutes = mutes[a.ID]
		m.Alerts = append(m.Alerts, v)
	}
	m.layout = u.layout(w, r, "Incident "+inc.Number()+": "+inc.Title, "incidents")
	// Responding may be granted by the team of the incident's service.
	if !m.Can.Respond && m.Can.Read {
		team, err := u.serviceTeam(r, inc.ServiceID)
		switch {
		case err == nil:
			m.Can.Respond = u.canRespondOn(r, team[0])
		case vigil.ErrorCode(err) != vigil.CodeNotFound: // no service: no team grants
			return incidentShowPage{}, err
		}
	}
	if !m.Can.Respond { // viewers read; the buttons would only answer 403
		m.CanAcknowledge, m.CanResolve, m.CanReopen = false, false, false
	}
	return m, nil
}

// timelineItem is one line of the timeline on the page: an entry, or
// (Entry nil) a gap standing for Hidden entries that are not shown.
type timelineItem struct {
	Entry  *vigil.TimelineEntry
	Hidden int
	// Status is the entry read as a status update, when it is one.
	Status *statusUpdateEntry
}

// How much of a long timeline the page shows (E11: an incident of 10,000
// alerts has an "alert joined" entry for each, which made a 4 MB page).
// Every other entry (state changes, notes, escalations, notifications) is
// kept, up to maxTimelineShown in all; the API's timeline has everything.
const (
	alertEntriesHead = 50  // the first alert entries shown
	alertEntriesTail = 50  // and the last
	maxTimelineShown = 500 // entries shown at most, half from each end
)

// boundTimeline keeps what a responder needs from a long timeline and
// replaces each run of left-out entries with one gap saying how many.
func boundTimeline(entries []*vigil.TimelineEntry) []timelineItem {
	bulk := func(e *vigil.TimelineEntry) bool {
		return e.Kind == vigil.EntryAlertJoined || e.Kind == vigil.EntryAlertResolved
	}
	alerts := 0
	for _, e := range entries {
		if bulk(e) {
			alerts++
		}
	}
	keep := make([]bool, len(entries))
	var kept []int
	n := 0
	for i, e := range entries {
		if bulk(e) {
			keep[i] = n < alertEntriesHead || n >= alerts-alertEntriesTail
			n++
		} else {
			keep[i] = true
		}
		if keep[i] {
			kept = append(kept, i)
		}
	}
	if len(kept) > maxTimelineShown {
		for j, i := range kept {
			if j >= maxTimelineShown/2 && j < len(kept)-maxTimelineShown/2 {
				keep[i] = false
			}
		}
	}
	out := make([]timelineItem, 0, min(len(entries), maxTimelineShown+alertEntriesHead+alertEntriesTail))
	hidden := 0
	for i, e := range entries {
		if !keep[i] {
			hidden++
			continue
		}
		if hidden > 0 {
			out = append(out, timelineItem{Hidden: hidden})
			hidden = 0
		}
		out = append(out, timelineItem{Entry: e})
	}
	if hidden > 0 {
		out = append(out, timelineItem{Hidden: hidden})
	}
	return out
}

func newAlertView(a *vigil.Alert) alertView {
	v := alertView{Alert: a}
	for k, val := range a.Labels {
		v.SortedLabels = append(v.SortedLabels, labelView{Name: k, Value: val})
	}
	slices.SortFunc(v.SortedLabels, func(x, y labelView) int { return strings.Compare(x.Name, y.Name) })
	for _, l := range a.Links {
		if safeLink(l.Href) {
			v.SafeLinks = append(v.SafeLinks, l)
		}
	}
	return v
}

// safeLink accepts only absolute http and https URLs. The store should
// hold nothing else, but a javascript: link that slipped through would run
// in the responder's session, so the page checks again (and html/template
// would neuter it a third time).
func safeLink(href string) bool {
	u, err := url.Parse(href)
	if err != nil || u.Host == "" {
		return false
	}
	s := strings.ToLower(u.Scheme)
	return s == "http" || s == "https"
}

// incidentURL is where the actions on an incident send the browser back.
func incidentURL(id int64) string { return "/incidents/" + itoa(id) }
