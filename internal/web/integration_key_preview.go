package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/mapping"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// integrationKeyPreview answers POST /services/{id}/integration-keys/{key}/preview:
// what a pasted payload would become with this key, its rules applied,
// storing nothing. htmx gets the result table alone; without JavaScript
// the service page comes back with the result under the form.
func (u *UI) integrationKeyPreview(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	keyID, ok2 := pathID(r, "key")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	key, err := u.serviceKey(ctx, id, keyID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	format, payload := r.PostFormValue("format"), r.PostFormValue("payload")
	test := newPayloadTest(format, payload)
	test.Open = true
	switch {
	case strings.TrimSpace(payload) == "":
		test.Error = "Paste a payload to test."
	default:
		rules, err := mapping.Compile(key.Rules)
		if err != nil {
			test.Error = "The key's rules do not compile: " + vigil.ErrorMessage(err)
			break
		}
		test.Result, err = mapping.PreviewPayload(format, []byte(payload), u.clock.Now(), rules, u.serviceResolver(ctx))
		if err != nil {
			test.Error = vigil.ErrorMessage(err)
		}
	}
	if isHTMX(r) {
		u.renderFragment(w, r, http.StatusOK, "service_show.html", "payload_test_result", test)
		return
	}
	m, err := u.serviceShowModel(w, r, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if v := m.mappingView(keyID); v != nil {
		v.Test = test
	}
	u.render(w, r, http.StatusOK, "service_show.html", m)
}
