package web

import (
	"net/http"
	"slices"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// identityUnlink answers POST /users/{id}/identities/{identity}/unlink.
// Without confirm=yes it says what unlinking means and asks again; with
// it, it unlinks. The store refuses a non-admin their last way to sign in;
// the confirmation page then says so, with a 409.
func (u *UI) identityUnlink(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	iid, ok2 := pathID(r, "identity")
	if !ok || !ok2 {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	us, err := u.store.FindUser(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	list, err := u.store.ListIdentities(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	i := slices.IndexFunc(list, func(i *vigil.Identity) bool { return i.ID == iid })
	if i < 0 {
		// Already gone (a second click, another tab), or never this person's.
		u.redirectFlash(w, r, userURL(id), "error", "That single sign-on identity is not linked to "+us.Name+".")
		return
	}
	identity, admin := list[i], auth.RequireAdmin(ctx) == nil
	m := confirmPage{
		Heading: "Unlink " + identity.Issuer + " · " + identity.Subject + " from " + us.Name + "?",
		Action:  userURL(id) + "/identities/" + itoa(iid) + "/unlink",
		Cancel:  userURL(id),
		Button:  "Unlink",
		Consequences: []string{
			"This provider account no longer signs in as " + us.Name + " through this link.",
			"Its next sign-in is treated as a first one: if the provider vouches for an e-mail address of a Vigil account, it is linked to that account again.",
		},
	}
	if !us.HasPassword && len(list) == 1 {
		if admin {
			m.Consequences = append(m.Consequences, us.Name+" has no password and no other identity: this was their last way to sign in.")
		} else {
			m.Blockers = append(m.Blockers, "This is the last way to sign in (no password, no other identity): set a password first, or ask an administrator.")
		}
	}
	if !confirmed(r) {
		u.renderConfirm(w, r, http.StatusOK, "users", m)
		return
	}
	switch err := u.store.UnlinkIdentity(ctx, id, iid, admin); vigil.ErrorCode(err) {
	case "":
		u.redirectFlash(w, r, userURL(id), "ok", "Unlinked "+identity.Issuer+" · "+identity.Subject+".")
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, userURL(id), "error", "That single sign-on identity is not linked to "+us.Name+".")
	case vigil.CodeConflict:
		m.Error = "Not unlinked: " + vigil.ErrorMessage(err) + "."
		u.renderConfirm(w, r, http.StatusConflict, "users", m)
	default:
		u.fail(w, r, err)
	}
}
