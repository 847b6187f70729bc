package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// incidentNoteCreate answers POST /incidents/{id}/notes.
func (u *UI) incidentNoteCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	body := strings.TrimSpace(r.PostFormValue("body"))
	var err error
	switch {
	case body == "":
		err = vigil.FieldError("body", "write something first")
	case len(body) > vigil.MaxNoteLen:
		err = vigil.FieldError("body", "must be at most %d bytes", vigil.MaxNoteLen)
	default:
		_, err = u.store.AddNote(r.Context(), id, body)
	}
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, incidentURL(id), "ok", "Note added.")
	case vigil.CodeInvalid:
		m, merr := u.incidentShowModel(w, r, id)
		if merr != nil {
			u.fail(w, r, merr)
			return
		}
		// The store may name the field differently; the form has one.
		fe := newFormErrors(err, "body")
		if !fe.Any() || fe.Form != "" {
			fe = formErrors{Fields: map[string]string{"body": vigil.ErrorMessage(err)}}
		}
		m.Note = noteForm{Body: body, Errors: fe}
		u.render(w, r, http.StatusUnprocessableEntity, "incident_show.html", m)
	default:
		u.fail(w, r, err)
	}
}
