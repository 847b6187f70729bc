package email

import (
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"

	"github.com/vigil-oss/vigil/internal/notify"
)

// maxBody bounds the incident body in a mail; longer text is cut with a
// visible marker (E11) rather than refused.
const maxBody = 64 << 10

// Content is a rendered message.
type Content struct {
	Subject string
	Text    string // text/plain
	HTML    string // text/html
}

// view is what both templates see. Its fields hold raw text: html/template
// escapes each one for its place (element text, attribute, URL), and the
// plain template needs no escaping.
type view struct {
	Subject  string
	Facts    []fact
	Body     string
	LateNote string
	Links    []link
	ID       string
}

type fact struct{ Label, Value string }

type link struct{ Label, URL string }

var textTmpl = texttemplate.Must(texttemplate.New("text").Parse(
	`{{.Subject}}
{{with .LateNote}}
{{.}}
{{end}}
{{range .Facts}}{{.Label}}: {{.Value}}
{{end}}{{with .Body}}
{{.}}
{{end}}{{with .Links}}
{{range .}}{{.Label}}: {{.URL}}
{{end}}{{end}}
-- 
Sent by Vigil{{with .ID}} (message {{.}}){{end}}
`))

var htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222">
<h2 style="margin:0 0 12px 0;font-size:18px">{{.Subject}}</h2>
{{with .LateNote}}<p style="color:#a15c00"><strong>{{.}}</strong></p>
{{end}}{{with .Facts}}<table cellpadding="2" style="border-collapse:collapse;margin:0 0 12px 0">
{{range .}}<tr><th align="left" style="padding-right:12px">{{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</table>
{{end}}{{with .Body}}<div style="white-space:pre-wrap;margin:0 0 12px 0">{{.}}</div>
{{end}}{{with .Links}}<p>{{range $i, $l := .}}{{if $i}} &middot; {{end}}<a href="{{$l.URL}}">{{$l.Label}}</a>{{end}}</p>
{{end}}<p style="color:#777;font-size:12px">Sent by Vigil{{with .ID}} (message {{.}}){{end}}</p>
</body>
</html>
`))

// Render builds the subject and both bodies for m. The subject is
// notify.Subject on one line; the bodies carry the facts, the incident
// text, the lateness note and links to acknowledge, resolve and open the
// incident.
func Render(m notify.Message) (Content, error) {
	v := view{
		Subject:  notify.Truncate(headerSafe(notify.Subject(m)), 300),
		Body:     notify.Truncate(m.Body, maxBody),
		LateNote: notify.LateNote(m),
		ID:       m.ID,
	}
	for _, f := range []fact{{"Severity", m.Severity}, {"Status", m.Status}, {"Service", m.Service}} {
		if f.Value != "" {
			v.Facts = append(v.Facts, f)
		}
	}
	// Links that would act on a state already reached are left out, and
	// a status update goes to stakeholders, who do not respond.
	if m.Kind != notify.KindAck && m.Kind != notify.KindResolve && m.Kind != notify.KindStatus {
		v.Links = appendLink(v.Links, "Acknowledge", m.AckURL)
	}
	if m.Kind != notify.KindResolve && m.Kind != notify.KindStatus {
		v.Links = appendLink(v.Links, "Resolve", m.ResolveURL)
	}
	v.Links = appendLink(v.Links, "Open incident", m.URL)

	var text, html strings.Builder
	if err := textTmpl.Execute(&text, v); err != nil {
		return Content{}, err
	}
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return Content{}, err
	}
	return Content{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}

// appendLink keeps http(s) links only. html/template would already defuse
// a javascript: URL in the HTML part, but the plain part should not offer
// it either.
func appendLink(ls []link, label, raw string) []link {
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ls
	}
	return append(ls, link{Label: label, URL: raw})
}
