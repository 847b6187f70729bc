package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// silenceNewPage is the model of silence_new.html.
type silenceNewPage struct {
	layout
	Form silenceForm
}

// silenceNew answers GET /silences/new: the form, pre-filled from the
// query string (see silenceFormFrom).
func (u *UI) silenceNew(w http.ResponseWriter, r *http.Request) {
	f := silenceFormFrom(r.URL.Query())
	u.renderSilenceNew(w, r, http.StatusOK, f)
}

// renderSilenceNew shows the form f with the service choices.
func (u *UI) renderSilenceNew(w http.ResponseWriter, r *http.Request, status int, f silenceForm) {
	services, _, err := u.store.FindServices(r.Context(), vigil.ServiceFilter{Limit: vigil.MaxPageSize})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f.ServiceOptions = serviceOptions(services, f.ServiceID, "Every service")
	f.Now = u.clock.Now().UTC().Format(localInput)
	m := silenceNewPage{Form: f}
	m.layout = u.layout(w, r, "New silence", "silences")
	u.render(w, r, status, "silence_new.html", m)
}
