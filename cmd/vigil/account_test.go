package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/app"
	"github.com/vigil-oss/vigil/internal/store"
	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestAdminUserCreate(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"VIGIL_DATA_DIR": dir, "VIGIL_PUBLIC_URL": "https://vigil.example.com/"}
	r := vigilCLI(t, env, "", "admin", "user", "create", "--email", "root@example.com", "--name", "Root", "--admin")
	wantOK(t, r)
	if !regexp.MustCompile(`https://vigil\.example\.com/reset/vgr_[a-z2-7]+\n`).MatchString(r.stdout) {
		t.Errorf("no reset link printed: %q", r.stdout)
	}
	r = vigilCLI(t, env, "a long enough password\n", "admin", "user", "create", "--email", "ops@example.com", "--name", "Ops", "--password-stdin")
	wantOK(t, r)
	if strings.Contains(r.stdout, "a long enough password") {
		t.Error("the password is echoed")
	}
	for _, c := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"--email", "root at example", "--name", "X"}, "--email"},
		{"", []string{"--email", "x@example.com", "--name", ""}, "--name"},
		{"", []string{"--email", "x@example.com", "--name", "X", "--role", "root"}, "--role"},
		{"", []string{"--email", "root@example.com", "--name", "Again"}, "--email: a user with this e-mail already exists"},
		{"short\n", []string{"--email", "y@example.com", "--name", "Y", "--password-stdin"}, "password: must have at least 12"},
		{"", []string{"--email", "y@example.com", "--name", "Y", "--password-stdin"}, "--password-stdin"},
	} {
		r := vigilCLI(t, env, c.stdin, append([]string{"admin", "user", "create"}, c.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, r.code, r.stderr, c.want)
		}
	}

	r = vigilCLI(t, env, "", "admin", "user", "password-reset", "--email", "OPS@example.com")
	wantOK(t, r)
	if !regexp.MustCompile(`^https://vigil\.example\.com/reset/vgr_[a-z2-7]+\n`).MatchString(r.stdout) {
		t.Errorf("offline reset printed %q", r.stdout)
	}
	if r := vigilCLI(t, env, "", "admin", "user", "password-reset", "--email", "nobody@example.com"); r.code == 0 || !strings.Contains(r.stderr, "--email") {
		t.Errorf("offline reset of nobody: exit %d, %q", r.code, r.stderr)
	}

	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	root, err := db.FindUserLogin(context.Background(), "root@example.com")
	if err != nil || root.User.Role != vigil.RoleAdmin || root.PasswordHash != "" {
		t.Errorf("root = %+v, %v; want an admin without a password yet", root, err)
	}
	ops, err := db.FindUserLogin(context.Background(), "ops@example.com")
	if err != nil || ops.User.Role != vigil.RoleResponder || !strings.HasPrefix(ops.PasswordHash, "$argon2id$") {
		t.Errorf("ops = %+v, %v; want a responder with a password", ops, err)
	}
	if open, _ := db.SetupOpen(context.Background()); open {
		t.Error("first-run setup is still open after an admin was created")
	}
}

func TestUserPasswordResetAndSignOut(t *testing.T) {
	token := vigil.NewSecret(vigil.TokenPrefix)
	a := startServer(t, app.Config{DataDir: t.TempDir(), AdminToken: token, EngineInterval: -1})
	env := map[string]string{"VIGIL_URL": a.URL(), "VIGIL_TOKEN": token}
	wantOK(t, vigilCLI(t, env, "", "user", "create", "--name", "Ana", "--email", "ana@example.com"))

	r := vigilCLI(t, env, "", "user", "password-reset", "ana@example.com")
	wantOK(t, r)
	link := regexp.MustCompile(`/reset/vgr_[a-z2-7]+`).FindString(r.stdout)
	if !strings.HasPrefix(r.stdout, a.URL()+"/reset/vgr_") || link == "" {
		t.Fatalf("password-reset printed %q", r.stdout)
	}
	// The link works in the web UI: set a password with it, then sign in.
	const pw = "ana's long password"
	resp := postForm(t, a.URL(), link, url.Values{"password": {pw}, "password2": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("setting a password with the link: %d", resp.StatusCode)
	}
	resp = postForm(t, a.URL(), "/login", url.Values{"login": {"ana@example.com"}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/incidents" {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}

	r = vigilCLI(t, env, "", "user", "sessions", "Ana")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "127.0.0.1") {
		t.Errorf("sessions = %q", r.stdout)
	}
	r = vigilCLI(t, env, "", "-o", "json", "user", "sign-out", "Ana")
	wantOK(t, r)
	if !strings.Contains(r.stdout, `"ended": 1`) {
		t.Errorf("sign-out printed %q", r.stdout)
	}
	if r := vigilCLI(t, env, "", "user", "password-reset", "nobody@example.com"); r.code == 0 {
		t.Error("password-reset for an unknown user succeeded")
	}
}

// postForm posts a same-origin form without following redirects.
func postForm(t *testing.T, base, path string, form url.Values) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "vigil test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS: with --tls-cert and --tls-key, serve speaks HTTPS only,
// prints an https URL, and the sign-in cookie is Secure.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t)
	const pw = "the admin's long password"
	wantOK(t, vigilCLI(t, map[string]string{"VIGIL_DATA_DIR": dir}, pw+"\n",
		"admin", "user", "create", "--email", "root@example.com", "--name", "Root", "--admin", "--password-stdin"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	exit := make(chan int, 1)
	env := getenvFrom(map[string]string{"VIGIL_DATA_DIR": dir, "VIGIL_LOG_LEVEL": "warn"})
	go func() {
		exit <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}, env, nil, out, out)
	}()
	urlRe := regexp.MustCompile(`Web UI: (https://\S+?)/?\n`)
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(10 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("serve never printed an https URL; output:\n%s", out.String())
	}
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("GET /healthz over TLS: %v %v", resp, err)
	}
	resp.Body.Close()
	// Plain HTTP on the TLS port gets nowhere.
	if resp, err := http.Get(strings.Replace(base, "https://", "http://", 1) + "/healthz"); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP was served on the TLS port")
		}
		resp.Body.Close()
	}
	form := url.Values{"login": {"root@example.com"}, "password": {pw}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "vigil_session" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("sign-in over TLS: %d, cookie %+v", resp.StatusCode, session)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("serve exited %d; output:\n%s", code, out.String())
	}
}

func TestServeRefusesBadTLSAndProxyFlags(t *testing.T) {
	certFile, _, _ := selfSigned(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certFile}, "--tls-cert and --tls-key"},
		{[]string{"--tls-cert", certFile, "--tls-key", certFile}, "TLS certificate"},
		{[]string{"--trusted-proxies", "10.0.0.0/8,proxy.local"}, "--trusted-proxies"},
	} {
		var out, errOut lockedBuffer
		code := run(context.Background(), append([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, c.args...), getenvFrom(nil), nil, &out, &errOut)
		if code == 0 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, errOut.String(), c.want)
		}
	}
}
