package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

//go:embed templates
var templateFS embed.FS

// page is one parsed page: templates/layout.html plus its own file, which
// defines "content" (and fragments such as "incident_rows").
type page struct {
	t *template.Template
}

// parsePages parses every page at startup. Each page gets its own template
// set so every file can define "title" and "content" without clashing.
func (u *UI) parsePages() (map[string]*page, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*page{}
	for _, f := range files {
		name := strings.TrimPrefix(f, "templates/")
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(u.funcs()).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", f)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("web: %s defines no \"content\"", name)
		}
		pages[name] = &page{t: t}
	}
	for _, need := range []string{"login.html", "error.html", "incident_list.html", "incident_show.html", "service_list.html", "service_show.html",
		"schedule_list.html", "schedule_show.html", "policy_list.html", "policy_show.html", "user_list.html", "user_show.html"} {
		if pages[need] == nil {
			return nil, fmt.Errorf("web: template %s is missing", need)
		}
	}
	return pages, nil
}

func (u *UI) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": u.assets.url,
		// when shows a time in UTC; on-call people compare times across
		// zones, so one zone everywhere avoids confusion.
		"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago":  u.ago,
		"dur":  func(d vigil.Duration) string { return time.Duration(d).String() },
		// field builds one input of the sign-in pages (account_field.go).
		"field": field,
	}
}

// ago says how long before the clock's now t was, roughly.
func (u *UI) ago(t time.Time) string {
	d := u.clock.Now().Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd ago", int(d.Hours()/24))
	}
}

// layout is what the shared frame of every page shows. Each page model
// embeds it.
type layout struct {
	Title    string
	Nav      string // the highlighted menu entry: "incidents", "services", "schedules", "policies", "users"
	SignedIn bool
	Actor    vigil.Actor
	Flash    *flash
	// Can says which buttons to show (authz.go); the routes check again.
	Can can
}

// layout builds the frame of a page and takes the pending flash message.
func (u *UI) layout(w http.ResponseWriter, r *http.Request, title, nav string) layout {
	l := layout{Title: title, Nav: nav, Flash: u.takeFlash(w, r)}
	// The middleware puts an actor in the context only after a successful
	// sign-in check; without it ActorFromContext returns the system actor.
	if a := vigil.ActorFromContext(r.Context()); a.Kind != vigil.ActorSystem {
		l.SignedIn, l.Actor, l.Can = true, a, canOf(r)
	}
	return l
}

// formErrors are the errors of one form: by field (the domain's field names,
// which are also the inputs' names) and one for the whole form.
type formErrors struct {
	Fields map[string]string
	Form   string
}

// newFormErrors files err under its field when the form has an input of
// that name, else under the form.
func newFormErrors(err error, fields ...string) formErrors {
	var fe formErrors
	if err == nil {
		return fe
	}
	f, msg := vigil.ErrorField(err), vigil.ErrorMessage(err)
	for _, name := range fields {
		if f == name {
			fe.Fields = map[string]string{f: msg}
			return fe
		}
	}
	if f != "" {
		msg = f + ": " + msg
	}
	fe.Form = msg
	return fe
}

// Field returns the error of one field, or "".
func (e formErrors) Field(name string) string { return e.Fields[name] }

// Any reports whether there is an error.
func (e formErrors) Any() bool { return e.Form != "" || len(e.Fields) > 0 }

// errorPage is the model of error.html.
type errorPage struct {
	layout
	Status  int
	Heading string
	Message string
}

// option is one choice of a <select>.
type option struct {
	Value    string
	Label    string
	Selected bool
}

func severityOptions(selected string, withAny bool) []option {
	var opts []option
	if withAny {
		opts = append(opts, option{Value: "", Label: "Any severity", Selected: selected == ""})
	}
	for _, s := range vigil.Severities {
		opts = append(opts, option{Value: string(s), Label: string(s), Selected: string(s) == selected})
	}
	return opts
}

func serviceOptions(services []*vigil.Service, selected string, first string) []option {
	opts := []option{{Value: "", Label: first, Selected: selected == ""}}
	for _, s := range services {
		v := fmt.Sprint(s.ID)
		opts = append(opts, option{Value: v, Label: s.Name, Selected: v == selected})
	}
	return opts
}
