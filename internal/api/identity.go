package api

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// identityRoutes list and unlink a person's single sign-on identities;
// the person themself or an admin (access.self).
func (a *API) identityRoutes() []Route {
	const user = "/api/v1/users/{id}"
	return []Route{
		{Method: "GET", Pattern: user + "/identities", Auth: AuthToken,
			Summary:  "List a user's single sign-on identities (provider issuer and subject), oldest first",
			Response: Items[*vigil.Identity]{}, Status: http.StatusOK, Handler: a.handle(a.listIdentities)},
		{Method: "DELETE", Pattern: user + "/identities/{identity_id}", Auth: AuthToken,
			Summary: "Unlink a single sign-on identity: its next sign-in is treated as a first one (409 when it is a " +
				"non-admin's last way to sign in)",
			Status: http.StatusNoContent, Handler: a.handle(a.unlinkIdentity)},
	}
}

func (a *API) listIdentities(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.store.FindUser(r.Context(), id); err != nil {
		return err
	}
	list, err := a.store.ListIdentities(r.Context(), id)
	if err != nil {
		return err
	}
	WriteJSON(w, http.StatusOK, itemsOf(list))
	return nil
}

// unlinkIdentity lets an admin take a person's last way to sign in (to
// lock out a provider account, say); the person themself cannot.
func (a *API) unlinkIdentity(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "id", "identity_id")
	if err != nil {
		return err
	}
	admin := auth.RequireAdmin(r.Context()) == nil
	if err := a.store.UnlinkIdentity(r.Context(), ids[0], ids[1], admin); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
