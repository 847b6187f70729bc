package storetest

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// RunAccounts is the sign-in part of the suite: passwords, roles, TOTP
// steps, first-run setup, sessions, reset links and failure counts.
func RunAccounts(t *testing.T, open OpenFunc) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open OpenFunc)
	}{
		{"Logins", testUserLogins},
		{"Setup", testFirstAdmin},
		{"Sessions", testSessions},
		{"PasswordReset", testPasswordReset},
		{"LoginFailures", testLoginFailures},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func (e *env) user(name, email string) *vigil.User {
	e.t.Helper()
	u := &vigil.User{Name: name, Email: email}
	if err := e.st.CreateUser(e.ctx, u); err != nil {
		e.t.Fatalf("CreateUser(%q): %v", email, err)
	}
	return u
}

func wantErrCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if vigil.ErrorCode(err) != code {
		t.Errorf("%s: err = %v, want code %q", what, err, code)
	}
}

func testUserLogins(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	ana := e.user("Ana", "Ana@Example.com")
	if ana.Role != vigil.RoleResponder || ana.HasPassword || ana.TOTPEnabled {
		t.Errorf("new user = %+v, want a responder without password or TOTP", ana)
	}
	e.user("Twin", "twin1@example.com")
	e.user("Twin", "twin2@example.com")

	if err := st.SetPassword(ctx, ana.ID, "$argon2id$fake", 0); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"ana@example.com", " ANA@EXAMPLE.COM ", "Ana", "ana"} {
		l, err := st.FindUserLogin(ctx, login)
		if err != nil || l.User.ID != ana.ID || l.PasswordHash != "$argon2id$fake" || !l.User.HasPassword {
			t.Errorf("FindUserLogin(%q) = %+v, %v", login, l, err)
		}
	}
	// Unknown and ambiguous names find nobody.
	for _, login := range []string{"nobody@example.com", "Twin", "twin", ""} {
		_, err := st.FindUserLogin(ctx, login)
		wantErrCode(t, "FindUserLogin("+login+")", err, vigil.CodeNotFound)
	}
	wantErrCode(t, "SetPassword(unknown)", st.SetPassword(ctx, 999, "x", 0), vigil.CodeNotFound)

	// Role: set by SetUserRole only, checked, kept by UpdateUser.
	wantErrCode(t, "SetUserRole(bad)", st.SetUserRole(ctx, ana.ID, "root"), vigil.CodeInvalid)
	if err := st.SetUserRole(ctx, ana.ID, vigil.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	upd := &vigil.User{ID: ana.ID, Name: "Ana B", Email: ana.Email}
	if err := st.UpdateUser(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if upd.Role != vigil.RoleAdmin || !upd.HasPassword {
		t.Errorf("after UpdateUser: %+v, want role admin and the password kept", upd)
	}

	// TOTP: each step once, never an older one.
	if err := st.SetTOTP(ctx, ana.ID, "JBSWY3DPEHPK3PXP", 100); err != nil {
		t.Fatal(err)
	}
	wantErrCode(t, "UseTOTPStep(same)", st.UseTOTPStep(ctx, ana.ID, 100), vigil.CodeConflict)
	wantErrCode(t, "UseTOTPStep(older)", st.UseTOTPStep(ctx, ana.ID, 99), vigil.CodeConflict)
	if err := st.UseTOTPStep(ctx, ana.ID, 101); err != nil {
		t.Errorf("UseTOTPStep(newer): %v", err)
	}
	l, err := st.FindUserLoginByID(ctx, ana.ID)
	if err != nil || l.TOTPSecret != "JBSWY3DPEHPK3PXP" || l.TOTPLastStep != 101 || !l.User.TOTPEnabled {
		t.Errorf("FindUserLoginByID = %+v, %v", l, err)
	}

	// Nothing a user list or lookup returns carries a secret.
	users, err := st.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found, _ := st.FindUser(ctx, ana.ID)
	b, _ := json.Marshal(map[string]any{"list": users, "one": found})
	for _, secret := range []string{"argon2id", "JBSWY3DPEHPK3PXP"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("users JSON shows %q: %s", secret, b)
		}
	}
}

func testFirstAdmin(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	// On-call people without passwords leave setup open.
	e.user("Oncall", "oncall@example.com")
	if open, err := st.SetupOpen(ctx); err != nil || !open {
		t.Fatalf("SetupOpen = %v, %v; want open", open, err)
	}
	bad := &vigil.User{Name: "", Email: "x@example.com"}
	wantErrCode(t, "CreateFirstAdmin(no name)", st.CreateFirstAdmin(ctx, bad, "h"), vigil.CodeInvalid)

	// Two racing setups: exactly one wins.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range 4 {
		wg.Go(func() {
			u := &vigil.User{Name: "Admin", Email: []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"}[i]}
			err := st.CreateFirstAdmin(ctx, u, "hash")
			mu.Lock()
			defer mu.Unlock()
			switch vigil.ErrorCode(err) {
			case "":
				wins++
				if u.Role != vigil.RoleAdmin || !u.HasPassword {
					t.Errorf("first admin = %+v", u)
				}
			case vigil.CodeConflict:
			default:
				t.Errorf("CreateFirstAdmin: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d setups won, want 1", wins)
	}
	if open, err := st.SetupOpen(ctx); err != nil || open {
		t.Errorf("SetupOpen after setup = %v, %v", open, err)
	}

	// CloseSetup closes it on a fresh database too (the CLI made an admin).
	e2 := setup(t, open)
	if err := e2.st.CloseSetup(e2.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e2.st.CloseSetup(e2.ctx); err != nil {
		t.Errorf("CloseSetup twice: %v", err)
	}
	wantErrCode(t, "CreateFirstAdmin after CloseSetup", e2.st.CreateFirstAdmin(e2.ctx, &vigil.User{Name: "A", Email: "a@example.com"}, "h"), vigil.CodeConflict)
}

func testSessions(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	ana, bo := e.user("Ana", "ana@example.com"), e.user("Bo", "bo@example.com")
	times := vigil.SessionTimes{Idle: 2 * time.Hour, Absolute: 12 * time.Hour}
	newSession := func(u *vigil.User, pending bool) *vigil.Session {
		t.Helper()
		s := &vigil.Session{UserID: u.ID, Pending: pending, UserAgent: "Firefox\x00\xff" + strings.Repeat("x", 1000), Address: "192.0.2.7"}
		if err := st.CreateSession(ctx, s, times); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.Secret, vigil.SessionPrefix) || s.ID == 0 {
			t.Fatalf("session = %+v", s)
		}
		return s
	}
	s1 := newSession(ana, false)
	got, u, err := st.AuthenticateSession(ctx, s1.Secret, times.Idle)
	if err != nil || got.ID != s1.ID || u.ID != ana.ID || got.Pending || got.Address != "192.0.2.7" ||
		!got.IdleUntil.Equal(t0.Add(2*time.Hour).Truncate(time.Microsecond)) || len(got.UserAgent) > 256 {
		t.Fatalf("AuthenticateSession = %+v, %+v, %v", got, u, err)
	}
	wantErrCode(t, "CreateSession(unknown user)", st.CreateSession(ctx, &vigil.Session{UserID: 999}, times), vigil.CodeNotFound)
	for _, bad := range []string{"", "vgs_unknown", "vgt_" + s1.Secret[4:]} {
		_, _, err := st.AuthenticateSession(ctx, bad, times.Idle)
		wantErrCode(t, "AuthenticateSession("+bad+")", err, vigil.CodeUnauthorized)
	}

	// Use keeps a session alive past its first idle deadline...
	e.clock.Advance(90 * time.Minute)
	if _, _, err := st.AuthenticateSession(ctx, s1.Secret, times.Idle); err != nil {
		t.Fatalf("after 90 minutes: %v", err)
	}
	e.clock.Advance(90 * time.Minute)
	if _, _, err := st.AuthenticateSession(ctx, s1.Secret, times.Idle); err != nil {
		t.Fatalf("used 90 minutes ago: %v", err)
	}
	// ...but not past its idle time without use.
	s2 := newSession(ana, false)
	e.clock.Advance(2*time.Hour + time.Second)
	_, _, err = st.AuthenticateSession(ctx, s2.Secret, times.Idle)
	wantErrCode(t, "idle session", err, vigil.CodeUnauthorized)
	// Nor past its absolute lifetime, however busy.
	for range 10 {
		e.clock.Advance(time.Hour)
		if _, _, err = st.AuthenticateSession(ctx, s1.Secret, times.Idle); err != nil {
			break
		}
	}
	wantErrCode(t, "session past its lifetime", err, vigil.CodeUnauthorized)

	// Pending sessions turn into full ones.
	p := newSession(ana, true)
	if got, _, err := st.AuthenticateSession(ctx, p.Secret, times.Idle); err != nil || !got.Pending {
		t.Fatalf("pending session = %+v, %v", got, err)
	}
	if err := st.ActivateSession(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if got, _, err := st.AuthenticateSession(ctx, p.Secret, times.Idle); err != nil || got.Pending {
		t.Fatalf("activated session = %+v, %v", got, err)
	}

	// Sign out one, then everywhere; other users keep theirs.
	a2, a3, b1 := newSession(ana, false), newSession(ana, false), newSession(bo, false)
	list, err := st.ListSessions(ctx, ana.ID)
	if err != nil || len(list) != 3 || list[0].ID != a3.ID {
		t.Fatalf("ListSessions = %d sessions (first %+v), %v; want 3, newest first", len(list), list, err)
	}
	if err := st.DeleteSession(ctx, a2.Secret); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.AuthenticateSession(ctx, a2.Secret, times.Idle)
	wantErrCode(t, "deleted session", err, vigil.CodeUnauthorized)
	n, err := st.DeleteUserSessions(ctx, ana.ID)
	if err != nil || n != 2 {
		t.Errorf("DeleteUserSessions = %d, %v; want 2", n, err)
	}
	for _, s := range []*vigil.Session{p, a3} {
		_, _, err = st.AuthenticateSession(ctx, s.Secret, times.Idle)
		wantErrCode(t, "session after sign-out everywhere", err, vigil.CodeUnauthorized)
	}
	if _, _, err := st.AuthenticateSession(ctx, b1.Secret, times.Idle); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	if _, err := st.DeleteUserSessions(ctx, 999); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("DeleteUserSessions(unknown) = %v", err)
	}

	// A new password ends every other session; deleting the user all.
	b2 := newSession(bo, false)
	if err := st.SetPassword(ctx, bo.ID, "h", b2.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.AuthenticateSession(ctx, b1.Secret, times.Idle)
	wantErrCode(t, "session after password change", err, vigil.CodeUnauthorized)
	if _, _, err := st.AuthenticateSession(ctx, b2.Secret, times.Idle); err != nil {
		t.Errorf("the session that changed the password ended: %v", err)
	}
	if err := st.DeleteUser(ctx, bo.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.AuthenticateSession(ctx, b2.Secret, times.Idle)
	wantErrCode(t, "session of a deleted user", err, vigil.CodeUnauthorized)
}

func testPasswordReset(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	ana := e.user("Ana", "ana@example.com")
	times := vigil.SessionTimes{Idle: time.Hour, Absolute: 48 * time.Hour}
	sess := &vigil.Session{UserID: ana.ID}
	if err := st.CreateSession(ctx, sess, times); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreatePasswordReset(ctx, 999, time.Hour); vigil.ErrorCode(err) != vigil.CodeNotFound {
		t.Errorf("CreatePasswordReset(unknown) = %v", err)
	}
	first, err := st.CreatePasswordReset(ctx, ana.ID, 24*time.Hour)
	if err != nil || !strings.HasPrefix(first.Secret, vigil.ResetPrefix) {
		t.Fatalf("CreatePasswordReset = %+v, %v", first, err)
	}
	r, err := st.CreatePasswordReset(ctx, ana.ID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Only the newest link works.
	_, err = st.FindPasswordReset(ctx, first.Secret)
	wantErrCode(t, "superseded link", err, vigil.CodeNotFound)
	if u, err := st.FindPasswordReset(ctx, r.Secret); err != nil || u.ID != ana.ID {
		t.Fatalf("FindPasswordReset = %+v, %v", u, err)
	}
	// Looking does not spend it; using does, once.
	u, err := st.UsePasswordReset(ctx, r.Secret, "newhash")
	if err != nil || u.ID != ana.ID {
		t.Fatalf("UsePasswordReset = %+v, %v", u, err)
	}
	_, err = st.UsePasswordReset(ctx, r.Secret, "again")
	wantErrCode(t, "second use", err, vigil.CodeNotFound)
	if l, _ := st.FindUserLoginByID(ctx, ana.ID); l.PasswordHash != "newhash" {
		t.Errorf("hash after reset = %q", l.PasswordHash)
	}
	_, _, err = st.AuthenticateSession(ctx, sess.Secret, time.Hour)
	wantErrCode(t, "session after reset", err, vigil.CodeUnauthorized)

	// Expiry.
	r2, err := st.CreatePasswordReset(ctx, ana.ID, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour)
	_, err = st.UsePasswordReset(ctx, r2.Secret, "late")
	wantErrCode(t, "expired link", err, vigil.CodeNotFound)
	for _, bad := range []string{"", "vgr_nope", "vgs_" + r2.Secret[4:]} {
		_, err := st.FindPasswordReset(ctx, bad)
		wantErrCode(t, "FindPasswordReset("+bad+")", err, vigil.CodeNotFound)
	}
}

func testLoginFailures(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	start := e.clock.Now()
	for i := range 3 {
		if err := st.RecordLoginFailure(ctx, "Ana@Example.com", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.clock.Advance(time.Minute)
		}
	}
	if err := st.RecordLoginFailure(ctx, "bo@example.com", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	f, err := st.CountLoginFailures(ctx, "ana@example.com", "192.0.2.1", start)
	if err != nil || f.Account != 3 || f.Address != 4 || !f.AccountOldest.Equal(start.Truncate(time.Microsecond)) {
		t.Errorf("CountLoginFailures = %+v, %v; want 3 for the account, 4 for the address", f, err)
	}
	// Only failures since since count.
	f, err = st.CountLoginFailures(ctx, "ana@example.com", "", start.Add(time.Second))
	if err != nil || f.Account != 2 || f.Address != 0 {
		t.Errorf("CountLoginFailures later = %+v, %v", f, err)
	}
	if err := st.ClearLoginFailures(ctx, "ANA@example.com"); err != nil {
		t.Fatal(err)
	}
	f, err = st.CountLoginFailures(ctx, "ana@example.com", "192.0.2.1", start)
	if err != nil || f.Account != 0 || f.Address != 4 {
		t.Errorf("after ClearLoginFailures = %+v, %v", f, err)
	}
}
