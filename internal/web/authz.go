package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// The UI applies the roles of the API (auth.Authorize): every route names
// what it needs in routes.go, and these wrappers check it after the
// session, before the handler. Refusals are the 403 page; pages hide the
// buttons a person may not use (layout.Can).

// teamsOf finds the teams a request's object belongs to.
type teamsOf func(u *UI, r *http.Request) ([]int64, error)

// need wraps h in the check of perm (and, for team-owned objects, of the
// owning team).
func (u *UI) need(perm string, team teamsOf, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var f func() ([]int64, error)
		if team != nil {
			f = func() ([]int64, error) { return team(u, r) }
		}
		if err := auth.Authorize(r.Context(), u.store, perm, f); err != nil {
			u.fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// selfOrAdmin lets admins and the person of the path through: people keep
// their own contact methods and notification rules (viewers, who only
// read, excepted).
func (u *UI) selfOrAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := pathID(r, "id")
		if err := u.mayChangePerson(r, id); err != nil {
			u.fail(w, r, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// mayChangePerson is the rule of selfOrAdmin for person id: the person
// themselves when they may respond, or an admin. Pages ask it too
// (can.Self).
func (u *UI) mayChangePerson(r *http.Request, id int64) error {
	p := auth.PrincipalFromContext(r.Context())
	if id != 0 && id == p.UserID && p.Allows(vigil.PermRespond) {
		return nil
	}
	return auth.Authorize(r.Context(), u.store, vigil.PermAdmin, nil)
}

// pathInt is pathID with CodeNotFound for a bad ID.
func pathInt(r *http.Request, name string) (int64, error) {
	id, ok := pathID(r, name)
	if !ok {
		return 0, vigil.Errorf(vigil.CodeNotFound, "there is nothing here")
	}
	return id, nil
}

func serviceTeamOf(u *UI, r *http.Request) ([]int64, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	return u.serviceTeam(r, id)
}

// scheduleTeamOf: the schedule's team, and the team the form moves it to.
func scheduleTeamOf(u *UI, r *http.Request) ([]int64, error) {
	var ids []int64
	if r.PathValue("id") != "" {
		id, err := pathInt(r, "id")
		if err != nil {
			return nil, err
		}
		s, err := u.store.FindSchedule(r.Context(), id)
		if err != nil {
			return nil, err
		}
		ids = append(ids, s.TeamID)
	}
	if _, sent := r.PostForm["team_id"]; sent || r.PathValue("id") == "" {
		t, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("team_id")), 10, 64)
		ids = append(ids, t)
	}
	return ids, nil
}

func policyTeamOf(u *UI, r *http.Request) ([]int64, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	p, err := u.store.FindEscalationPolicy(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return []int64{p.TeamID}, nil
}

// can is what the signed-in person may do, for showing buttons: each
// field is the check of one route wrapper in routes.go (respond, manage,
// admin; team pages set Manage from canManageTeam and people's pages Self
// from mayChangePerson), so a page shows a form only to whom its route
// lets through.
type can struct {
	// Read is everything a viewer reads; stakeholders only read incidents.
	Read, Respond, Manage, Admin bool
	// Self: may change the person of the page (the self routes).
	Self bool
}

func canOf(r *http.Request) can {
	p := auth.PrincipalFromContext(r.Context())
	return can{Read: p.Allows(vigil.PermRead), Respond: p.Allows(vigil.PermRespond), Manage: p.Allows(vigil.PermManage), Admin: p.Allows(vigil.PermAdmin)}
}

// canRespondOn says whether the person may respond on an incident of
// team: a global responder, or a responder or manager of that team.
func (u *UI) canRespondOn(r *http.Request, team int64) bool {
	return auth.Authorize(r.Context(), u.store, vigil.PermRespond, func() ([]int64, error) { return []int64{team}, nil }) == nil
}

// incidentTeamOf is the team of the incident's service; an incident the
// person may not see is not found.
func incidentTeamOf(u *UI, r *http.Request) ([]int64, error) {
	id, err := pathInt(r, "id")
	if err != nil {
		return nil, err
	}
	inc, err := u.store.FindIncidentByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return u.serviceTeam(r, inc.ServiceID)
}

// formServiceTeamOf is the team of the service the form names (none when
// it names none or an unknown one: the handler says what is wrong).
func formServiceTeamOf(u *UI, r *http.Request) ([]int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("service_id")), 10, 64)
	if err != nil {
		return nil, nil
	}
	ids, err := u.serviceTeam(r, id)
	if vigil.ErrorCode(err) == vigil.CodeNotFound {
		return nil, nil
	}
	return ids, err
}

func (u *UI) serviceTeam(r *http.Request, serviceID int64) ([]int64, error) {
	s, err := u.store.FindServiceByID(r.Context(), serviceID)
	if err != nil {
		return nil, err
	}
	return []int64{s.TeamID}, nil
}

// canManageTeam says whether the person may manage an object of team:
// a global manager, or a manager of that team.
func (u *UI) canManageTeam(r *http.Request, team int64) bool {
	return auth.Authorize(r.Context(), u.store, vigil.PermManage, func() ([]int64, error) { return []int64{team}, nil }) == nil
}
