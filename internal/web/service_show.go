package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// serviceShowPage is the model of service_show.html.
type serviceShowPage struct {
	layout
	Service   *vigil.Service
	Keys      []*vigil.IntegrationKey
	OpenCount int
	// Changes are the service's latest change events, newest first.
	Changes []changeView
	// Heartbeats are the service's heartbeats with their state.
	Heartbeats []heartbeatView
	KeyForm    keyForm
	// NewKey is set only on the answer to creating a key: the one time
	// its secret is shown.
	NewKey *newKeyView
	// Mappings are the active keys' rules and payload test panels.
	Mappings []keyMappingView
	// Settings is the storm limit, flap control and auto-pause form.
	Settings triageForm
}

// keyForm is the "New integration key" form.
type keyForm struct {
	Name   string
	Errors formErrors
}

// newKeyView shows a just-created key with ready-to-paste examples.
type newKeyView struct {
	Key             *vigil.IntegrationKey
	EventsURL       string
	CurlTrigger     string
	CurlResolve     string
	CurlAcknowledge string
}

// serviceShow answers GET /services/{id}.
func (u *UI) serviceShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	m, err := u.serviceShowModel(w, r, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "service_show.html", m)
}

func (u *UI) serviceShowModel(w http.ResponseWriter, r *http.Request, id int64) (serviceShowPage, error) {
	ctx := r.Context()
	s, err := u.store.FindServiceByID(ctx, id)
	if err != nil {
		return serviceShowPage{}, err
	}
	keys, err := u.store.FindIntegrationKeys(ctx, id)
	if err != nil {
		return serviceShowPage{}, err
	}
	_, open, err := u.store.FindIncidents(ctx, vigil.IncidentFilter{
		ServiceID: &id,
		Statuses:  []string{vigil.IncidentTriggered, vigil.IncidentAcknowledged},
		Limit:     1,
	})
	if err != nil {
		return serviceShowPage{}, err
	}
	changes, err := u.store.FindChangeEvents(ctx, vigil.ChangeEventFilter{ServiceID: &id, Limit: serviceChangesShown})
	if err != nil {
		return serviceShowPage{}, err
	}
	heartbeats, err := u.serviceHeartbeats(ctx, id)
	if err != nil {
		return serviceShowPage{}, err
	}
	l := u.layout(w, r, "Service "+s.Name, "services")
	l.Can.Manage = u.canManageTeam(r, s.TeamID) // its team's managers too
	return serviceShowPage{
		layout:     l,
		Service:    s,
		Keys:       keys,
		OpenCount:  open,
		Changes:    newChangeViews(changes),
		Heartbeats: heartbeats,
		Mappings:   keyMappingViews(keys),
		Settings:   newTriageForm(s),
	}, nil
}

// serviceChangesShown is how many change events the service page lists.
const serviceChangesShown = 20

// changeView is a change event with only the links that are safe to
// follow (see safeLink).
type changeView struct {
	*vigil.ChangeEvent
	SafeLinks []vigil.Link
}

func newChangeViews(list []*vigil.ChangeEvent) []changeView {
	out := make([]changeView, 0, len(list))
	for _, c := range list {
		v := changeView{ChangeEvent: c}
		for _, l := range c.Links {
			if safeLink(l.Href) {
				v.SafeLinks = append(v.SafeLinks, l)
			}
		}
		out = append(out, v)
	}
	return out
}
