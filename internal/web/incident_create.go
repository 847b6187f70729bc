package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentCreate answers POST /incidents: declare an incident by hand. On
// bad input the list comes back with the form filled in and the error next
// to its field.
func (u *UI) incidentCreate(w http.ResponseWriter, r *http.Request) {
	in := declareInput{
		ServiceID:   strings.TrimSpace(r.PostFormValue("service_id")),
		Title:       strings.TrimSpace(r.PostFormValue("title")),
		Severity:    r.PostFormValue("severity"),
		Description: strings.TrimSpace(r.PostFormValue("description")),
	}
	d := vigil.IncidentDeclaration{
		Title:       in.Title,
		Description: in.Description,
		Severity:    vigil.Severity(in.Severity),
	}
	var err error
	if id, perr := strconv.ParseInt(in.ServiceID, 10, 64); perr != nil || id <= 0 {
		err = vigil.FieldError("service_id", "choose a service")
	} else {
		d.ServiceID = id
		err = d.Validate()
	}
	var inc *vigil.Incident
	if err == nil {
		inc, err = u.store.DeclareIncident(r.Context(), d)
		if vigil.ErrorCode(err) == vigil.CodeNotFound {
			err = vigil.FieldError("service_id", "no such service")
		}
	}
	if err != nil {
		if code := vigil.ErrorCode(err); code != vigil.CodeInvalid && code != vigil.CodeConflict {
			u.fail(w, r, err)
			return
		}
		in.Err = err
		m, merr := u.incidentListModel(w, r, parseIncidentFilter(nil), in)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		u.render(w, r, statusOf(vigil.ErrorCode(err)), "incident_list.html", m)
		return
	}
	u.redirectFlash(w, r, fmt.Sprintf("/incidents/%d", inc.ID), "ok", "Incident "+inc.Number()+" declared.")
}
