// Package smsgateway sends text messages through any HTTP SMS gateway
// (a self-hosted Android gateway, a regional provider, an in-house relay),
// so a team is not tied to one vendor. The request is described by
// templates:
//
//	URLTemplate:  https://gw.example/send?to={{.To | urlquery}}&text={{.Text | urlquery}}
//	BodyTemplate: {"to": {{json .To}}, "message": {{json .Text}}}
//
// Template data: .To (the destination address, usually E.164), .Text (the
// SMS text) and .ID (the message ID, stable across retries, for gateways
// that deduplicate). Helpers: urlquery (query escaping), urlpath (path
// segment escaping), json (a JSON string literal, quotes included) and xml
// (XML text escaping).
//
// Escaping is enforced, not hoped for: New rejects a template in which any
// output ({{...}}) does not end in the escaper its place needs. In
// URLTemplate that is urlquery or urlpath; in BodyTemplate it follows
// ContentType: json for JSON, urlquery for form bodies, xml for XML, and
// any for other types (text/plain has no syntax to break).
package smsgateway

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/vigil-oss/vigil/internal/notify"
)

// MaxText is the longest SMS text sent, in bytes: three concatenated
// GSM-7 segments, enough for a subject and an ack link without splitting
// into many billed parts.
const MaxText = 480

// Config describes the gateway's HTTP API.
type Config struct {
	// Method is the HTTP method; empty means POST.
	Method string
	// URLTemplate renders the request URL; it must give an http or https
	// URL. Required.
	URLTemplate string
	// BodyTemplate renders the request body; empty sends no body.
	BodyTemplate string
	// ContentType of the body; empty means application/json when there is
	// a body.
	ContentType string
	// Headers are sent as given, e.g. Authorization. Their values are
	// treated as secrets: never shown in errors.
	Headers map[string]string
	// HTTPClient sends the requests; nil means a client that does not
	// follow redirects (a redirected POST loses its body).
	HTTPClient *http.Client
}

// Data is what the templates see.
type Data struct {
	To   string
	Text string
	ID   string
}

// Sender sends SMS through the configured gateway. It is safe for
// concurrent use.
type Sender struct {
	method      string
	url         *template.Template
	body        *template.Template // nil: no body
	contentType string
	headers     http.Header
	client      *http.Client
}

var _ notify.Sender = (*Sender)(nil)

var funcs = template.FuncMap{
	"urlquery": func(args ...any) string { return url.QueryEscape(fmt.Sprint(args...)) },
	"urlpath":  func(args ...any) string { return url.PathEscape(fmt.Sprint(args...)) },
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"xml": func(args ...any) (string, error) {
		var b strings.Builder
		err := xml.EscapeText(&b, []byte(fmt.Sprint(args...)))
		return b.String(), err
	},
}

// New checks cfg and returns a Sender. Errors name the bad field
// (URLTemplate, BodyTemplate, Method, ContentType or the header name) and
// never quote header values.
func New(cfg Config) (*Sender, error) {
	s := &Sender{method: strings.ToUpper(cfg.Method), contentType: cfg.ContentType, client: cfg.HTTPClient}
	if s.method == "" {
		s.method = http.MethodPost
	}
	if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch}, s.method) {
		return nil, fmt.Errorf("smsgateway: Method %q is not GET, POST, PUT or PATCH", cfg.Method)
	}
	if s.client == nil {
		s.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	}

	if strings.TrimSpace(cfg.URLTemplate) == "" {
		return nil, errors.New("smsgateway: URLTemplate is required")
	}
	var err error
	if s.url, err = compile("URLTemplate", cfg.URLTemplate, "urlquery", "urlpath"); err != nil {
		return nil, err
	}
	// Render once with sample data so a template that can never give a
	// usable URL fails now, not at 3 a.m.
	if _, err := s.renderURL(sample); err != nil {
		return nil, err
	}

	if cfg.BodyTemplate != "" {
		if s.method == http.MethodGet {
			return nil, errors.New("smsgateway: BodyTemplate is set but Method is GET")
		}
		if s.contentType == "" {
			s.contentType = "application/json"
		}
		mt, _, err := mime.ParseMediaType(s.contentType)
		if err != nil {
			return nil, fmt.Errorf("smsgateway: ContentType: %v", err)
		}
		if s.body, err = compile("BodyTemplate", cfg.BodyTemplate, bodyEscapers[bodyKind(mt)]...); err != nil {
			return nil, err
		}
		if err := checkBody(s.body, mt); err != nil {
			return nil, err
		}
	}

	s.headers = http.Header{}
	for k, v := range cfg.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("smsgateway: header name %q is not valid", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("smsgateway: header %s has a line break in its value", k)
		}
		s.headers.Set(k, v)
	}
	return s, nil
}

// sample is rendered at construction; its text has every character that
// breaks an unescaped JSON, form or XML body.
var sample = Data{To: "+15550100", Text: "Vigil \"test\" & <check> 100%\n", ID: "test"}

// checkBody renders the body template with sample data and checks the
// result parses as its media type: escaping alone does not catch
// {{json .Text}} put inside quotes.
func checkBody(t *template.Template, mt string) error {
	var b bytes.Buffer
	if err := t.Execute(&b, sample); err != nil {
		return fmt.Errorf("smsgateway: BodyTemplate: %w", err)
	}
	var bad bool
	switch bodyKind(mt) {
	case "json":
		bad = !json.Valid(b.Bytes())
	case "form":
		_, err := url.ParseQuery(b.String())
		bad = err != nil
	case "xml":
		dec := xml.NewDecoder(&b)
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				bad = true
				break
			}
		}
	}
	if bad {
		return fmt.Errorf("smsgateway: BodyTemplate does not render valid %s", mt)
	}
	return nil
}

// bodyKind names the syntax of a body of media type mt: "json", "form",
// "xml", or "" for types without one (text/plain).
func bodyKind(mt string) string {
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return "json"
	case mt == "application/x-www-form-urlencoded":
		return "form"
	case mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml"):
		return "xml"
	}
	return ""
}

// bodyEscapers says which escaper must end each output in a body of each
// kind; a kind not listed takes any output.
var bodyEscapers = map[string][]string{
	"json": {"json"},
	"form": {"urlquery"},
	"xml":  {"xml"},
}

// compile parses text as template name and, when escapers is not empty,
// checks that every output action ends in one of them.
func compile(name, text string, escapers ...string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("smsgateway: %w", err)
	}
	if len(escapers) == 0 {
		return t, nil
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil || tt.Root == nil {
			continue
		}
		if err := checkEscaped(tt.Tree, tt.Root, escapers); err != nil {
			return nil, fmt.Errorf("smsgateway: %s: %w", name, err)
		}
	}
	return t, nil
}

func checkEscaped(tree *parse.Tree, n parse.Node, escapers []string) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkEscaped(tree, c, escapers); err != nil {
				return err
			}
		}
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return nil // {{$x := ...}} prints nothing
		}
		last := n.Pipe.Cmds[len(n.Pipe.Cmds)-1]
		if id, ok := last.Args[0].(*parse.IdentifierNode); ok && slices.Contains(escapers, id.Ident) {
			return nil
		}
		loc, _ := tree.ErrorContext(n)
		return fmt.Errorf("%s: %s must end with %s so the value is escaped", loc, n, strings.Join(escapers, " or "))
	case *parse.IfNode:
		return checkBranches(tree, &n.BranchNode, escapers)
	case *parse.RangeNode:
		return checkBranches(tree, &n.BranchNode, escapers)
	case *parse.WithNode:
		return checkBranches(tree, &n.BranchNode, escapers)
	}
	return nil
}

func checkBranches(tree *parse.Tree, b *parse.BranchNode, escapers []string) error {
	if err := checkEscaped(tree, b.List, escapers); err != nil {
		return err
	}
	return checkEscaped(tree, b.ElseList, escapers)
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		// RFC 9110 token characters.
		if r > 0x7e || r <= 0x20 || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func (s *Sender) renderURL(d Data) (*url.URL, error) {
	var b strings.Builder
	if err := s.url.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("smsgateway: URLTemplate: %w", err)
	}
	u, err := url.Parse(strings.TrimSpace(b.String()))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not quoting the URL: it may carry an API key.
		return nil, errors.New("smsgateway: URLTemplate does not render an http or https URL")
	}
	return u, nil
}

// Send renders the request for to.Address and m and sends it. Errors name
// the gateway's host only: URLs and headers often hold API keys.
func (s *Sender) Send(ctx context.Context, to notify.Destination, m notify.Message) (notify.Receipt, error) {
	if to.Address == "" || strings.IndexFunc(to.Address, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return notify.Receipt{}, notify.Permanent(errors.New("smsgateway: the destination number is empty or malformed"))
	}
	d := Data{To: to.Address, Text: Text(m), ID: m.ID}
	u, err := s.renderURL(d)
	if err != nil {
		return notify.Receipt{}, notify.Permanent(err)
	}
	var body io.Reader
	if s.body != nil {
		var b bytes.Buffer
		if err := s.body.Execute(&b, d); err != nil {
			return notify.Receipt{}, notify.Permanent(fmt.Errorf("smsgateway: BodyTemplate: %w", err))
		}
		body = &b
	}
	req, err := http.NewRequestWithContext(ctx, s.method, u.String(), body)
	if err != nil {
		return notify.Receipt{}, notify.Permanent(fmt.Errorf("smsgateway: building request to %s failed", u.Host))
	}
	for k, v := range s.headers {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", s.contentType)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Vigil")
	}

	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL and its query
		}
		return notify.Receipt{}, fmt.Errorf("smsgateway: %s to %s: %w", s.method, u.Host, err)
	}
	defer resp.Body.Close()
	detail := excerpt(resp.Body)
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := notify.CheckResponse(resp, detail); err != nil {
		return notify.Receipt{}, fmt.Errorf("smsgateway: %w", err)
	}
	return notify.Receipt{}, nil
}

// Text is the SMS text for m: the one-line subject, a lateness note when
// it is late, and the ack link, within MaxText bytes. The subject is what
// gets cut, so the link stays whole (a cut link is useless); a link too
// long to be short is left out.
func Text(m notify.Message) string {
	head := notify.Subject(m)
	if note := notify.LateNote(m); note != "" {
		head += " " + note
	}
	var link string
	if m.AckURL != "" && m.Kind != notify.KindAck && m.Kind != notify.KindResolve && len(m.AckURL) <= MaxText/2 {
		link = " Ack: " + m.AckURL
	}
	return notify.Truncate(head, MaxText-len(link)) + link
}

// excerpt reads the start of a response body as one printable line of at
// most 200 bytes, for the delivery record.
func excerpt(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, 512))
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return notify.Truncate(strings.Join(strings.Fields(s), " "), 200)
}
