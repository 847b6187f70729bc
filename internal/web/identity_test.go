package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/auth"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// TestIdentityUnlink: the Unlink button on a person's page shows to the
// person and admins only, asks first, and unlinks; the person cannot take
// their last way in, an admin can; someone else's identity is not found.
func TestIdentityUnlink(t *testing.T) {
	h := newHarness(t)
	ctx := vigil.WithActor(context.Background(), vigil.Actor{Kind: vigil.ActorSystem, Name: "seed", Source: vigil.SourceSystem})
	link := func(u *vigil.User, subject string) int64 {
		t.Helper()
		if _, err := h.db.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: "https://idp.example.com", Subject: subject, Email: u.Email}); err != nil {
			t.Fatal(err)
		}
		ids, _ := h.db.ListIdentities(ctx, u.ID)
		return ids[len(ids)-1].ID
	}
	signedIn := func(u *vigil.User) *http.Cookie {
		t.Helper()
		s, err := h.auth.StartSession(ctx, u.ID, auth.Client{Address: "192.0.2.9", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return &http.Cookie{Name: auth.SessionCookie, Value: s.Secret}
	}
	bo, cy := h.user("Bo", "bo@example.com"), h.user("Cy", "cy@example.com")
	bo1, bo2, cy1 := link(bo, "okta|bo-1"), link(bo, "okta|bo-2"), link(cy, "okta|cy")
	if err := h.db.SetUserRole(ctx, bo.ID, vigil.RoleResponder); err != nil {
		t.Fatal(err)
	}
	boC := signedIn(bo)
	unlink := func(userID, identityID int64) string {
		return fmt.Sprintf("/users/%d/identities/%d/unlink", userID, identityID)
	}
	yes := url.Values{"confirm": {"yes"}}

	// The button: on Bo's page for Bo and for an admin, not on Cy's for Bo.
	if page := body(h.as(boC, http.MethodGet, userURL(bo.ID), nil)); !strings.Contains(page, `action="`+unlink(bo.ID, bo1)+`"`) {
		t.Errorf("Bo's page lacks his Unlink button:\n%s", excerpt(page))
	}
	if page := h.get(userURL(cy.ID)).Body.String(); !strings.Contains(page, `action="`+unlink(cy.ID, cy1)+`"`) {
		t.Errorf("Cy's page lacks the Unlink button for an admin:\n%s", excerpt(page))
	}
	if page := body(h.as(boC, http.MethodGet, userURL(cy.ID), nil)); !strings.Contains(page, "okta|cy") || strings.Contains(page, "unlink-identity") {
		t.Errorf("Cy's page as Bo: want the identity listed without an Unlink button:\n%s", excerpt(page))
	}
	// Bo may not unlink Cy's; Cy's identity under Bo's path is not his.
	if resp := h.as(boC, http.MethodPost, unlink(cy.ID, cy1), yes); resp.StatusCode != http.StatusForbidden {
		t.Errorf("Bo unlinks Cy's: %d, want 403", resp.StatusCode)
	}
	if resp := h.as(boC, http.MethodPost, unlink(bo.ID, cy1), yes); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("Cy's identity under Bo's path: %d, want a redirect with an error", resp.StatusCode)
	}
	if ids, _ := h.db.ListIdentities(ctx, cy.ID); len(ids) != 1 {
		t.Fatalf("Cy's identities = %v, want still 1", ids)
	}

	// The first click asks; nothing changes until confirm=yes.
	resp := h.as(boC, http.MethodPost, unlink(bo.ID, bo2), url.Values{})
	if page := body(resp); resp.StatusCode != http.StatusOK || !strings.Contains(page, "confirm-delete-submit") || !strings.Contains(page, "treated as a first one") {
		t.Errorf("unlink without confirm: %d:\n%s", resp.StatusCode, excerpt(page))
	}
	if ids, _ := h.db.ListIdentities(ctx, bo.ID); len(ids) != 2 {
		t.Fatalf("an unconfirmed unlink changed Bo's identities: %v", ids)
	}
	resp = h.as(boC, http.MethodPost, unlink(bo.ID, bo2), yes)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != userURL(bo.ID) {
		t.Fatalf("Bo unlinks one: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// His last one (no password): the confirmation warns, and refuses.
	if page := body(h.as(boC, http.MethodPost, unlink(bo.ID, bo1), url.Values{})); !strings.Contains(page, "last way to sign in") {
		t.Errorf("the confirmation does not warn about the last way in:\n%s", excerpt(page))
	}
	resp = h.as(boC, http.MethodPost, unlink(bo.ID, bo1), yes)
	if page := body(resp); resp.StatusCode != http.StatusConflict || !strings.Contains(page, "Not unlinked") {
		t.Errorf("Bo unlinks his last: %d, want 409 saying so:\n%s", resp.StatusCode, excerpt(page))
	}
	// An admin may.
	wantRedirect(t, h.post(unlink(bo.ID, bo1), yes), userURL(bo.ID))
	if ids, _ := h.db.ListIdentities(ctx, bo.ID); len(ids) != 0 {
		t.Errorf("Bo's identities after the admin's unlink = %v", ids)
	}
	entries, _, err := h.db.FindAuditEntries(ctx, vigil.AuditFilter{Action: "user.identity-unlink"})
	if err != nil || len(entries) != 2 || entries[0].Actor.Source != vigil.SourceWeb {
		t.Errorf("unlink audit entries = %+v, %v; want 2 from the web", entries, err)
	}
}

func userURL(id int64) string { return fmt.Sprintf("/users/%d", id) }
