package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunIdentities is the single sign-on part of the suite: linking by
// (issuer, subject), matching by verified e-mail, creating, and syncing
// role and team memberships with audit entries.
func RunIdentities(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	const iss = "https://idp.example.com"

	ops := &vigil.Team{Name: "ops"}
	sec := &vigil.Team{Name: "security"}
	other := &vigil.Team{Name: "other"}
	for _, tm := range []*vigil.Team{ops, sec, other} {
		if err := st.CreateTeam(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	managed := []string{"ops", "security", "gone"}

	// Unknown person, creating not allowed: refused, nothing written.
	_, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Email: "new@example.com", Role: vigil.RoleViewer})
	wantErrCode(t, "no user, no create", err, vigil.CodeNotFound)
	if users, _ := st.ListUsers(ctx); len(users) != 0 {
		t.Fatalf("users after refused sign-in = %d, want 0", len(users))
	}
	// Creating without a verified e-mail is refused naming the field.
	_, err = st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Create: true})
	if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != "email" {
		t.Errorf("create without e-mail: err = %v, want invalid email", err)
	}
	// A bad role or team role is refused before anything happens.
	_, err = st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Create: true, Email: "x@example.com", Role: "boss"})
	wantErrCode(t, "bad role", err, vigil.CodeInvalid)
	_, err = st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Create: true, Email: "x@example.com",
		Teams: map[string]string{"ops": "owner"}, Managed: managed})
	wantErrCode(t, "bad team role", err, vigil.CodeInvalid)

	if open, _ := st.SetupOpen(ctx); !open {
		t.Fatal("setup closed before any admin exists")
	}
	// First sign-in creates the user with the role and teams of the groups.
	in := &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Email: "new@example.com", Name: "New Person", Create: true,
		Role: vigil.RoleManager, Teams: map[string]string{"ops": vigil.TeamManager, "gone": vigil.TeamMember}, Managed: managed}
	u, err := st.SignInIdentity(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.Name != "New Person" || u.Email != "new@example.com" || u.Role != vigil.RoleManager || u.HasPassword {
		t.Errorf("created user = %+v", u)
	}
	wantMembership(t, e, ops.ID, u.ID, vigil.TeamManager)
	wantMembership(t, e, sec.ID, u.ID, "")
	ids, err := st.ListIdentities(ctx, u.ID)
	if err != nil || len(ids) != 1 || ids[0].Issuer != iss || ids[0].Subject != "s-1" || !ids[0].CreatedAt.Equal(t0) {
		t.Fatalf("identities = %+v, %v", ids, err)
	}

	// Later sign-ins find the identity, whatever e-mail it now has, and
	// follow the groups: role down, ops manager -> gone, security member.
	e.clock.Advance(3600e9)
	u2, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Email: "renamed@example.com",
		Role: vigil.RoleViewer, Teams: map[string]string{"security": vigil.TeamMember}, Managed: managed})
	if err != nil {
		t.Fatal(err)
	}
	if u2.ID != u.ID || u2.Role != vigil.RoleViewer {
		t.Errorf("second sign-in user = %+v, want user %d as viewer", u2, u.ID)
	}
	wantMembership(t, e, ops.ID, u.ID, "")
	wantMembership(t, e, sec.ID, u.ID, vigil.TeamMember)
	ids, _ = st.ListIdentities(ctx, u.ID)
	if len(ids) != 1 || ids[0].Email != "renamed@example.com" || !ids[0].LastSignInAt.Equal(e.clock.Now()) {
		t.Errorf("identity after second sign-in = %+v", ids)
	}

	// Teams outside the mapping are left alone.
	other.Members = []int64{u.ID}
	if err := st.UpdateTeam(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-1", Managed: managed}); err != nil {
		t.Fatal(err)
	}
	wantMembership(t, e, other.ID, u.ID, vigil.TeamMember)
	wantMembership(t, e, sec.ID, u.ID, "")
	if got, _ := st.FindUser(ctx, u.ID); got.Role != vigil.RoleViewer {
		t.Errorf("empty Role changed the role to %q", got.Role)
	}

	// An existing user is matched by verified e-mail (any case) and linked,
	// even when creating is off.
	// With no role from the groups a new user gets NewUserRole.
	v, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-v", Email: "v@example.com", Create: true, NewUserRole: vigil.RoleViewer})
	if err != nil || v.Role != vigil.RoleViewer || v.Name != "v" {
		t.Errorf("new user without a mapped role = %+v, %v; want viewer named v", v, err)
	}

	ana := e.user("Ana", "ana@example.com")
	got, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-ana", Email: "ANA@example.com", Role: vigil.RoleAdmin})
	if err != nil || got.ID != ana.ID || got.Role != vigil.RoleAdmin {
		t.Fatalf("match by e-mail = %+v, %v; want Ana as admin", got, err)
	}
	if open, err := st.SetupOpen(ctx); err != nil || open {
		t.Errorf("setup open after an admin signed in by SSO = %v, %v; want closed", open, err)
	}
	// Another provider's identity with the same subject is another person.
	_, err = st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: "https://other.example.com", Subject: "s-ana"})
	wantErrCode(t, "same subject, other issuer", err, vigil.CodeNotFound)

	// Deleting the user deletes the links.
	if err := st.DeleteUser(ctx, ana.ID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := st.ListIdentities(ctx, ana.ID); len(ids) != 0 {
		t.Errorf("identities of a deleted user = %+v", ids)
	}

	// Every change is in the audit log.
	entries, _, err := st.FindAuditEntries(ctx, vigil.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"user.create", "user.identity-link", "user.role", "team.update"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit actions %v lack %q", actions, want)
		}
	}
	roleChanges := 0
	for _, a := range entries {
		if a.Action == "user.role" {
			roleChanges++
			if !strings.Contains(string(a.After), `"role"`) || a.Actor != cliActor {
				t.Errorf("user.role entry = %+v", a)
			}
		}
	}
	if roleChanges != 2 { // manager -> viewer, responder -> admin
		t.Errorf("user.role entries = %d, want 2", roleChanges)
	}
}

func wantMembership(t *testing.T, e *env, teamID, userID int64, want string) {
	t.Helper()
	tm, err := e.st.FindTeam(e.ctx, teamID)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	if slices.Contains(tm.Members, userID) {
		got = vigil.TeamMember
	}
	if slices.Contains(tm.Managers, userID) {
		got = vigil.TeamManager
	}
	if got != want {
		t.Errorf("team %s: user %d membership = %q, want %q", tm.Name, userID, got, want)
	}
}

// RunIdentityUnlink: unlinking removes one identity of one user, refuses
// another user's, keeps a person's last way to sign in unless told
// otherwise, is audited, and leaves the next sign-in to the normal rules.
func RunIdentityUnlink(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	const iss = "https://idp.example.com"
	signIn := func(subject, email string) *vigil.User {
		t.Helper()
		u, err := st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: subject, Email: email})
		if err != nil {
			t.Fatalf("sign-in %s: %v", subject, err)
		}
		return u
	}
	subjects := func(userID int64) (ids []int64, subs []string) {
		t.Helper()
		list, err := st.ListIdentities(ctx, userID)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range list {
			ids, subs = append(ids, i.ID), append(subs, i.Subject)
		}
		return ids, subs
	}
	bo, cy := e.user("Bo", "bo@example.com"), e.user("Cy", "cy@example.com")
	signIn("s-bo-1", "bo@example.com")
	signIn("s-bo-2", "bo@example.com")
	signIn("s-cy", "cy@example.com")
	boIDs, _ := subjects(bo.ID)
	cyIDs, _ := subjects(cy.ID)
	if len(boIDs) != 2 || len(cyIDs) != 1 {
		t.Fatalf("identities: Bo %v, Cy %v; want 2 and 1", boIDs, cyIDs)
	}

	// Another user's identity, an unknown one and an unknown user are
	// not found, and nothing goes.
	wantErrCode(t, "Cy's identity through Bo", st.UnlinkIdentity(ctx, bo.ID, cyIDs[0], true), vigil.CodeNotFound)
	wantErrCode(t, "unknown identity", st.UnlinkIdentity(ctx, bo.ID, 999999, true), vigil.CodeNotFound)
	wantErrCode(t, "unknown user", st.UnlinkIdentity(ctx, 999999, boIDs[0], true), vigil.CodeNotFound)
	if ids, _ := subjects(cy.ID); len(ids) != 1 {
		t.Errorf("Cy's identities after refused unlinks = %v", ids)
	}

	// Bo has another identity: the first one goes.
	if err := st.UnlinkIdentity(ctx, bo.ID, boIDs[0], false); err != nil {
		t.Fatal(err)
	}
	if _, subs := subjects(bo.ID); !slices.Equal(subs, []string{"s-bo-2"}) {
		t.Errorf("Bo's identities after unlinking s-bo-1 = %v", subs)
	}
	// Now it is Bo's last way in: refused unless allowed, kept.
	err := st.UnlinkIdentity(ctx, bo.ID, boIDs[1], false)
	wantErrCode(t, "last identity", err, vigil.CodeConflict)
	if err == nil || !strings.Contains(err.Error(), "last way to sign in") {
		t.Errorf("last identity: err = %v, want it to say why", err)
	}
	if ids, _ := subjects(bo.ID); len(ids) != 1 {
		t.Errorf("Bo's identities after a refused unlink = %v", ids)
	}
	// With a password it is no longer the last way in.
	if err := st.SetPassword(ctx, bo.ID, "$argon2id$not-a-real-hash", 0); err != nil {
		t.Fatal(err)
	}
	if err := st.UnlinkIdentity(ctx, bo.ID, boIDs[1], false); err != nil {
		t.Errorf("unlink with a password set: %v", err)
	}
	// An administrator's unlink (allowLast) takes Cy's only one.
	wantErrCode(t, "Cy's last identity", st.UnlinkIdentity(ctx, cy.ID, cyIDs[0], false), vigil.CodeConflict)
	if err := st.UnlinkIdentity(ctx, cy.ID, cyIDs[0], true); err != nil {
		t.Fatal(err)
	}
	if ids, _ := subjects(cy.ID); len(ids) != 0 {
		t.Errorf("Cy's identities after unlink = %v", ids)
	}
	wantErrCode(t, "unlink twice", st.UnlinkIdentity(ctx, cy.ID, cyIDs[0], true), vigil.CodeNotFound)

	// The next sign-in is a first one: without the matching e-mail it does
	// not reach Cy; with it, it links again under a new identity.
	_, err = st.SignInIdentity(ctx, &vigil.IdentitySignIn{Issuer: iss, Subject: "s-cy", Email: "cy@elsewhere.example.com"})
	wantErrCode(t, "unlinked subject, other e-mail", err, vigil.CodeNotFound)
	if again := signIn("s-cy", "cy@example.com"); again.ID != cy.ID {
		t.Errorf("unlinked subject with Cy's e-mail signed in as %d, want Cy %d", again.ID, cy.ID)
	}
	if _, subs := subjects(cy.ID); !slices.Equal(subs, []string{"s-cy"}) {
		t.Errorf("Cy's identities after signing in again = %v, want s-cy linked again", subs)
	}

	// Each unlink is audited as the actor, with what went and no after.
	entries, _, err := st.FindAuditEntries(ctx, vigil.AuditFilter{Action: "user.identity-unlink"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("unlink audit entries = %d, want 3", len(entries))
	}
	for _, a := range entries {
		if a.Actor != cliActor || a.ObjectType != "user" || len(a.After) != 0 ||
			!strings.Contains(string(a.Before), `"subject":"s-`) || !strings.Contains(string(a.Before), iss) {
			t.Errorf("unlink audit entry = %+v (before %s)", a, a.Before)
		}
		if a.ObjectID != bo.ID && a.ObjectID != cy.ID {
			t.Errorf("unlink audited on object %d", a.ObjectID)
		}
	}
}
