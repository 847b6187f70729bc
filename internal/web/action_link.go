package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// Action links: the acknowledge and resolve links in a message work
// without signing in. The token in the URL (package signed) names the
// incident, the person the message went to and the channel, and expires.
//
// Opening the link only shows a page with one button: mail scanners and
// chat unfurlers fetch links, and a GET must never acknowledge. The button
// POSTs to the same URL (same-origin checked like every form), which acts
// as that person with the source "<channel> link" on the timeline.

// actionPage is the model of action_link.html.
type actionPage struct {
	layout
	Incident *vigil.Incident
	Person   string
	Verb     string // "Acknowledge" or "Resolve"
	// Pending: the button is shown; otherwise Result says what happened
	// (or that nothing is left to do).
	Pending bool
	Result  string
	Expires time.Time
}

// registerActionLinks mounts the action link pages; without a signer (no
// key) every link is a 404.
func (u *UI) registerActionLinks(mux *http.ServeMux) {
	noReferrer := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			// The token is a credential: keep it out of Referer headers.
			w.Header().Set("Referrer-Policy", "no-referrer")
			h(w, r)
		}
	}
	mux.Handle("GET "+signed.ActionPath+"{token}", u.public(noReferrer(u.actionLinkShow)))
	mux.Handle("POST "+signed.ActionPath+"{token}", u.public(noReferrer(u.guardWrite(http.HandlerFunc(u.actionLinkDo)).ServeHTTP)))
}

// actionClaims checks the link; on failure it has answered already.
func (u *UI) actionClaims(w http.ResponseWriter, r *http.Request) (signed.Action, *vigil.Incident, *vigil.User, bool) {
	if u.actions == nil {
		u.notFound(w, r)
		return signed.Action{}, nil, nil, false
	}
	a, err := u.actions.VerifyAction(r.PathValue("token"), u.clock.Now())
	if errors.Is(err, signed.ErrExpired) {
		u.renderError(w, r, http.StatusGone, "This link expired at "+a.Expires.UTC().Format("2006-01-02 15:04 UTC")+
			". Sign in to Vigil to act on the incident.")
		return a, nil, nil, false
	}
	if err != nil {
		u.notFound(w, r)
		return a, nil, nil, false
	}
	// The link was signed for one person: they read the incident as
	// themselves (paged about it, they are one of its responders).
	inc, err := u.store.FindIncidentByID(vigil.WithViewer(r.Context(), vigil.Viewer{UserID: a.UserID}), a.IncidentID)
	if err != nil {
		u.fail(w, r, err)
		return a, nil, nil, false
	}
	user, err := u.store.FindUser(r.Context(), a.UserID)
	if err != nil {
		// The person was deleted: their links die with them.
		u.fail(w, r, err)
		return a, nil, nil, false
	}
	return a, inc, user, true
}

func actionVerb(kind string) string {
	if kind == vigil.MessageResolve {
		return "Resolve"
	}
	return "Acknowledge"
}

// done reports whether the incident is already where the link would take
// it, and says so.
func actionDone(kind string, inc *vigil.Incident) (string, bool) {
	switch {
	case inc.Status == vigil.IncidentResolved:
		return "Incident " + inc.Number() + " is already resolved.", true
	case kind == vigil.MessageAck && inc.Status == vigil.IncidentAcknowledged:
		return "Incident " + inc.Number() + " is already acknowledged.", true
	}
	return "", false
}

// actionLinkShow answers GET /act/{token}: the incident and one button.
func (u *UI) actionLinkShow(w http.ResponseWriter, r *http.Request) {
	a, inc, user, ok := u.actionClaims(w, r)
	if !ok {
		return
	}
	m := actionPage{layout: u.layout(w, r, actionVerb(a.Kind)+" "+inc.Number(), ""), Incident: inc, Person: user.Name,
		Verb: actionVerb(a.Kind), Expires: a.Expires}
	m.Result, _ = actionDone(a.Kind, inc)
	m.Pending = m.Result == ""
	u.render(w, r, http.StatusOK, "action_link.html", m)
}

// actionLinkDo answers POST /act/{token}: acts as the person the message
// went to.
func (u *UI) actionLinkDo(w http.ResponseWriter, r *http.Request) {
	a, inc, user, ok := u.actionClaims(w, r)
	if !ok {
		return
	}
	m := actionPage{layout: u.layout(w, r, actionVerb(a.Kind)+" "+inc.Number(), ""), Incident: inc, Person: user.Name,
		Verb: actionVerb(a.Kind), Expires: a.Expires}
	if msg, done := actionDone(a.Kind, inc); done {
		m.Result = msg
		u.render(w, r, http.StatusOK, "action_link.html", m)
		return
	}
	ctx := vigil.WithActor(r.Context(), vigil.Actor{Kind: vigil.ActorUser, ID: user.ID, Name: user.Name,
		Source: vigil.LinkSource(a.Channel)})
	ctx = vigil.WithViewer(ctx, vigil.ViewerOf(vigil.ActorFromContext(ctx), user.Role))
	var err error
	if a.Kind == vigil.MessageResolve {
		inc, err = u.store.ResolveIncident(ctx, a.IncidentID)
		m.Result = "Incident " + m.Incident.Number() + " resolved by " + user.Name + "."
	} else {
		inc, err = u.store.AcknowledgeIncident(ctx, a.IncidentID)
		m.Result = "Incident " + m.Incident.Number() + " acknowledged by " + user.Name + "."
	}
	switch vigil.ErrorCode(err) {
	case "":
		m.Incident = inc
	case vigil.CodeConflict:
		m.Result = vigil.ErrorMessage(err)
	default:
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "action_link.html", m)
}
