package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// integrationKeyRevoke answers POST /services/{id}/integration-keys/{key}/revoke.
func (u *UI) integrationKeyRevoke(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	keyID, ok2 := pathID(r, "key")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	err := u.store.RevokeIntegrationKey(r.Context(), id, keyID)
	switch vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, "/services/"+itoa(id), "ok", "Integration key revoked. Senders using it now get 401.")
	case vigil.CodeConflict, vigil.CodeInvalid:
		u.redirectFlash(w, r, "/services/"+itoa(id), "error", vigil.ErrorMessage(err))
	default:
		u.fail(w, r, err)
	}
}
