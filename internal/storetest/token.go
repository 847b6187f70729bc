package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// testScopedTokens: personal and service tokens with scopes, expiry, use
// recording with the address, revocation, the owner's role read live, and
// the audit of create and revoke.
func testScopedTokens(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	t0 := e.clock.Now()
	ana := e.user("Ana", "ana@example.com")
	must(t, e.st.SetUserRole(e.ctx, ana.ID, vigil.RoleManager))

	_, err := e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "x"})
	wantCode(t, err, vigil.CodeInvalid, "scopes")
	_, err = e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "x", Scopes: []string{"root"}})
	wantCode(t, err, vigil.CodeInvalid, "scopes")
	_, err = e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "", Scopes: []string{"read"}})
	wantCode(t, err, vigil.CodeInvalid, "name")
	past := t0.Add(-time.Hour)
	_, err = e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "x", Scopes: []string{"read"}, ExpiresAt: &past})
	wantCode(t, err, vigil.CodeInvalid, "expires_at")
	_, err = e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "x", Scopes: []string{"read"}, UserID: 99999})
	wantCode(t, err, vigil.CodeNotFound)

	exp := t0.Add(24 * time.Hour)
	personal, err := e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "laptop", Scopes: []string{"respond", "read", "read"}, UserID: ana.ID, ExpiresAt: &exp})
	must(t, err)
	if !strings.HasPrefix(personal.Secret, vigil.TokenPrefix) || !slices.Equal(personal.Scopes, []string{"read", "respond"}) ||
		personal.UserID != ana.ID || personal.ExpiresAt == nil || !personal.ExpiresAt.Equal(exp) {
		t.Fatalf("CreateToken = %+v", personal)
	}
	service, err := e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "prom", Scopes: []string{"ingest"}})
	must(t, err)

	got, err := e.st.AuthenticateAPIToken(e.ctx, personal.Secret, "192.0.2.7")
	must(t, err)
	if got.ID != personal.ID || got.UserRole != vigil.RoleManager || got.LastUsedAddress != "192.0.2.7" || got.Secret != "" {
		t.Fatalf("AuthenticateAPIToken(personal) = %+v", got)
	}
	// A new address is recorded at once, even within the minute.
	e.clock.Advance(time.Second)
	_, err = e.st.AuthenticateAPIToken(e.ctx, personal.Secret, "198.51.100.2")
	must(t, err)
	found, err := e.st.FindToken(e.ctx, personal.ID)
	must(t, err)
	if found.LastUsedAddress != "198.51.100.2" || !found.LastUsedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after use from a new address: %+v", found)
	}
	// The owner's role is read on every use: a demotion counts at once.
	must(t, e.st.SetUserRole(e.ctx, ana.ID, vigil.RoleViewer))
	got, err = e.st.AuthenticateAPIToken(e.ctx, personal.Secret, "198.51.100.2")
	must(t, err)
	if got.UserRole != vigil.RoleViewer {
		t.Errorf("owner role after demotion = %q", got.UserRole)
	}

	list, err := e.st.ListTokens(e.ctx, 0)
	must(t, err)
	if len(list) != 2 || list[0].ID != service.ID || list[1].ID != personal.ID || list[0].Secret != "" {
		t.Fatalf("ListTokens(all) = %+v", list)
	}
	list, err = e.st.ListTokens(e.ctx, ana.ID)
	must(t, err)
	if len(list) != 1 || list[0].ID != personal.ID {
		t.Fatalf("ListTokens(ana) = %+v", list)
	}

	// Expiry.
	e.clock.Advance(24 * time.Hour)
	_, err = e.st.AuthenticateAPIToken(e.ctx, personal.Secret, "")
	wantCode(t, err, vigil.CodeUnauthorized)

	// Revocation: the very next check fails; twice is fine.
	_, err = e.st.AuthenticateAPIToken(e.ctx, service.Secret, "")
	must(t, err)
	must(t, e.st.RevokeToken(e.ctx, service.ID))
	must(t, e.st.RevokeToken(e.ctx, service.ID))
	_, err = e.st.AuthenticateAPIToken(e.ctx, service.Secret, "")
	wantCode(t, err, vigil.CodeUnauthorized)
	wantCode(t, e.st.RevokeToken(e.ctx, 99999), vigil.CodeNotFound)

	// A deleted owner's token stops working.
	bob := e.user("Bob", "bob@example.com")
	bt, err := e.st.CreateToken(e.ctx, vigil.TokenSpec{Name: "b", Scopes: []string{"read"}, UserID: bob.ID})
	must(t, err)
	must(t, e.st.DeleteUser(e.ctx, bob.ID))
	_, err = e.st.AuthenticateAPIToken(e.ctx, bt.Secret, "")
	wantCode(t, err, vigil.CodeUnauthorized)

	entries, _, err := e.st.FindAuditEntries(e.ctx, vigil.AuditFilter{ObjectType: "api_token", Limit: 50})
	must(t, err)
	var creates, revokes int
	for _, a := range entries {
		if strings.Contains(string(a.After)+string(a.Before), personal.Secret) {
			t.Errorf("the audit log holds a token secret")
		}
		switch a.Action {
		case "api_token.create":
			creates++
		case "api_token.revoke":
			revokes++
		}
	}
	if creates != 3 || revokes != 1 {
		t.Errorf("audit: %d creates, %d revokes; want 3 and 1", creates, revokes)
	}
}
