package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentUpdate answers POST /incidents/{id}: change title and severity.
// Only what changed is sent, so the timeline gets no empty entries.
func (u *UI) incidentUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	inc, err := u.store.FindIncidentByID(r.Context(), id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	title := strings.TrimSpace(r.PostFormValue("title"))
	sev := vigil.Severity(r.PostFormValue("severity"))
	var upd vigil.IncidentUpdate
	if title != inc.Title {
		upd.Title = &title
	}
	if sev != inc.Severity {
		upd.Severity = &sev
	}
	if upd.Title == nil && upd.Severity == nil {
		u.redirectFlash(w, r, incidentURL(id), "ok", "Nothing changed.")
		return
	}
	err = upd.Validate()
	if err == nil {
		inc, err = u.store.UpdateIncident(r.Context(), id, upd)
	}
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, incidentURL(id), "ok", "Incident "+inc.Number()+" updated.")
	case vigil.CodeInvalid, vigil.CodeConflict:
		m, merr := u.incidentShowModel(w, r, id)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		m.Edit.Title = title
		m.Edit.SeverityOptions = severityOptions(string(sev), false)
		m.Edit.Errors = newFormErrors(err, "title", "severity")
		u.render(w, r, statusOf(vigil.ErrorCode(err)), "incident_show.html", m)
	default:
		u.fail(w, r, err)
	}
}
