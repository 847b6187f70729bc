package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// static holds the files under static/: app.css (hand-written) and htmx with
// its licence (fetched by scripts/update-web-assets.sh, committed so that
// building never needs node).
//
//go:embed static
var staticFS embed.FS

// asset is one static file under its fingerprinted name.
type asset struct {
	name        string // fingerprinted, e.g. app.3f2a9c1e0b7d.css
	contentType string
	etag        string
	body        []byte
}

// assets maps plain names to fingerprinted ones and serves the latter with
// long cache lifetimes: a changed file gets a new name, so caches never need
// to revalidate.
type assets struct {
	byPlain       map[string]*asset
	byFingerprint map[string]*asset
}

func loadAssets() (*assets, error) {
	a := &assets{byPlain: map[string]*asset{}, byFingerprint: map[string]*asset{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("web: static files: %w", err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(e.Name())
		base := strings.TrimSuffix(e.Name(), ext)
		ct := mime.TypeByExtension(ext)
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		f := &asset{
			name:        base + "." + hash + ext,
			contentType: ct,
			etag:        `"` + hash + `"`,
			body:        body,
		}
		a.byPlain[e.Name()] = f
		a.byFingerprint[f.name] = f
	}
	for _, need := range []string{"app.css", "htmx.min.js"} {
		if a.byPlain[need] == nil {
			return nil, fmt.Errorf("web: static file %s is missing (run scripts/update-web-assets.sh)", need)
		}
	}
	return a, nil
}

// url returns the path of a static file under its fingerprinted name; the
// templates call it as {{asset "app.css"}}.
func (a *assets) url(name string) (string, error) {
	f, ok := a.byPlain[name]
	if !ok {
		return "", fmt.Errorf("web: no static file %q", name)
	}
	return "/static/" + f.name, nil
}

// serveStatic answers GET /static/{file}. Only fingerprinted names exist,
// so an old page never gets a new file under an old name.
func (u *UI) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := u.assets.byFingerprint[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.body))
}
