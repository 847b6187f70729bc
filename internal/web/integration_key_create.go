package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// integrationKeyCreate answers POST /services/{id}/integration-keys. It
// answers with the service page itself (no redirect) because that page is
// the only place the secret is ever shown; the store keeps only its hash.
func (u *UI) integrationKeyCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	var err error
	switch {
	case name == "":
		err = vigil.FieldError("name", "is required")
	case len(name) > vigil.MaxNameLen:
		err = vigil.FieldError("name", "must be at most %d bytes", vigil.MaxNameLen)
	}
	var key *vigil.IntegrationKey
	if err == nil {
		key, err = u.store.CreateIntegrationKey(r.Context(), id, name)
	}
	code := vigil.ErrorCode(err)
	if code != "" && code != vigil.CodeInvalid && code != vigil.CodeConflict {
		u.fail(w, r, err)
		return
	}
	m, merr := u.serviceShowModel(w, r, id)
	if merr != nil {
		u.fail(w, r, merr)
		return
	}
	if err != nil {
		m.KeyForm = keyForm{Name: name, Errors: newFormErrors(err, "name")}
		u.render(w, r, statusOf(code), "service_show.html", m)
		return
	}
	m.NewKey = u.newKeyView(r, key)
	m.Flash = &flash{Kind: "ok", Message: "Integration key " + key.Name + " created. Copy its secret now: it will not be shown again."}
	u.render(w, r, http.StatusOK, "service_show.html", m)
}

// newKeyView builds the curl examples. The secret is made of [a-z2-7_]
// only and the URL comes from configuration, so single quotes are enough.
func (u *UI) newKeyView(r *http.Request, key *vigil.IntegrationKey) *newKeyView {
	events := u.baseURL(r) + "/api/v1/events"
	head := "curl -X POST " + events + " -H 'Authorization: Bearer " + key.Secret + "' -H 'Content-Type: application/json' -d "
	return &newKeyView{
		Key:             key,
		EventsURL:       events,
		CurlTrigger:     head + `'{"summary":"Disk almost full on db-1","severity":"critical","dedup_key":"db-1-disk"}'`,
		CurlAcknowledge: head + `'{"action":"acknowledge","dedup_key":"db-1-disk"}'`,
		CurlResolve:     head + `'{"action":"resolve","dedup_key":"db-1-disk"}'`,
	}
}

// baseURL is the configured public URL, else the one this request used.
func (u *UI) baseURL(r *http.Request) string {
	if u.publicURL != "" {
		return u.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
