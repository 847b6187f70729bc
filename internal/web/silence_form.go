package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/matcher"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// silenceForm is the "New silence" form of /silences/new, as typed.
type silenceForm struct {
	// Matchers is the textarea: one matcher per line, Alertmanager's
	// syntax (alertname="DiskFull", env!=dev, instance=~"db-.*").
	Matchers        string
	ServiceID       string
	ServiceOptions  []option
	Duration        string
	EndsAt          string // datetime-local, UTC
	Comment         string
	ExpireOnResolve bool
	// Now is the clock's time as the end-time input shows it, for the hint.
	Now    string
	Errors formErrors
}

// silenceLabels name the form's inputs in its error messages; the keys are
// the inputs' names, which are also the domain's field names.
var silenceLabels = map[string]string{
	"matchers": "Matchers", "service_id": "Service", "duration": "Duration",
	"ends_at": "End time", "comment": "Comment",
}

// silenceDefaultDuration is what a new silence lasts unless told otherwise.
const silenceDefaultDuration = "2h"

// silenceFormFrom fills the form from a query string: how the "Silence
// alerts like this" link of an incident's alert (and "New silence" on a
// silence's page) pre-fills it. matcher is repeated, one matcher each.
func silenceFormFrom(q url.Values) silenceForm {
	f := silenceForm{
		Matchers:        strings.Join(q["matcher"], "\n"),
		ServiceID:       strings.TrimSpace(q.Get("service_id")),
		Duration:        strings.TrimSpace(q.Get("duration")),
		EndsAt:          strings.TrimSpace(q.Get("ends_at")),
		Comment:         q.Get("comment"),
		ExpireOnResolve: q.Get("expire_on_resolve") == "1",
	}
	if f.Duration == "" && f.EndsAt == "" {
		f.Duration = silenceDefaultDuration
	}
	return f
}

// silenceFormPosted reads the submitted form.
func silenceFormPosted(r *http.Request) silenceForm {
	return silenceForm{
		Matchers:        strings.TrimSpace(r.PostFormValue("matchers")),
		ServiceID:       strings.TrimSpace(r.PostFormValue("service_id")),
		Duration:        strings.TrimSpace(r.PostFormValue("duration")),
		EndsAt:          strings.TrimSpace(r.PostFormValue("ends_at")),
		Comment:         strings.TrimSpace(r.PostFormValue("comment")),
		ExpireOnResolve: r.PostFormValue("expire_on_resolve") == "1",
	}
}

// matcherLine is one matcher of the textarea and the line it was on, so
// an error about matchers[i] can point at the line a person typed.
type matcherLine struct {
	Line int
	Text string
}

// silence reads the form into a silence ending after now, written by
// author. It checks every input and returns the errors of all of them
// (by input name), so a person fixes the form in one go; the store checks
// the rest (regular expressions, a matcher that matches everything).
func (f *silenceForm) silence(now time.Time, author string, services map[int64]bool) (*vigil.Silence, []matcherLine, map[string]string) {
	errs := map[string]string{}
	s := &vigil.Silence{CreatedBy: author, Comment: f.Comment, ExpireOnResolve: f.ExpireOnResolve}

	lines, err := splitMatchers(f.Matchers)
	if err != nil {
		errs["matchers"] = vigil.ErrorMessage(err)
	}
	for _, l := range lines {
		if _, bad := errs["matchers"]; bad {
			break
		}
		m, err := parseMatcher(l.Text)
		if err != nil {
			errs["matchers"] = fmt.Sprintf("line %d (%s): %v", l.Line, l.Text, err)
			break
		}
		s.Matchers = append(s.Matchers, m)
	}
	if _, bad := errs["matchers"]; !bad && len(lines) == 0 {
		errs["matchers"] = `at least one is required, such as alertname="DiskFull"`
	}
	if _, bad := errs["matchers"]; !bad && len(lines) > vigil.MaxSilenceMatchers {
		errs["matchers"] = fmt.Sprintf("at most %d", vigil.MaxSilenceMatchers)
	}

	if f.ServiceID != "" {
		id, err := strconv.ParseInt(f.ServiceID, 10, 64)
		if err != nil || !services[id] {
			errs["service_id"] = "choose a service from the list, or every service"
		} else {
			s.ServiceID = &id
		}
	}

	switch {
	case f.EndsAt != "":
		// An end time, when given, is used instead of the duration.
		end, err := parseLocal("ends_at", f.EndsAt, time.UTC)
		switch {
		case err != nil:
			errs["ends_at"] = vigil.ErrorMessage(err) + " (UTC)"
		case !end.After(now):
			errs["ends_at"] = "must be in the future"
		case end.Sub(now) > vigil.MaxSilenceDuration:
			errs["ends_at"] = "must be within 10 years"
		default:
			s.EndsAt = end
		}
	case f.Duration != "":
		d, err := parseSilenceDuration(f.Duration)
		switch {
		case err != nil:
			errs["duration"] = "must be a duration such as 30m, 2h or 1d12h"
		case d <= 0:
			errs["duration"] = "must be above zero"
		case d > vigil.MaxSilenceDuration:
			errs["duration"] = "must be at most 10 years"
		default:
			s.EndsAt = now.Add(d)
		}
	default:
		errs["duration"] = "give a duration such as 2h, or an end time"
	}

	if f.Comment == "" {
		errs["comment"] = "is required: say why, so the next person knows when it can go"
	} else if len(f.Comment) > vigil.MaxSilenceCommentLen {
		errs["comment"] = fmt.Sprintf("must be at most %d bytes", vigil.MaxSilenceCommentLen)
	}
	return s, lines, errs
}

// silenceFormErrors turns the form's own errors into formErrors, each
// message led by its input's label.
func silenceFormErrors(errs map[string]string) formErrors {
	return labelErrors(errs, silenceLabels)
}

// matcherFieldRE is a store error's field about one matcher.
var matcherFieldRE = regexp.MustCompile(`^matchers\[(\d+)\](?:\.(name|value))?$`)

// silenceStoreErrors files an error of the store under the form's inputs:
// matchers[2].value becomes the Matchers textarea, naming the line.
func silenceStoreErrors(err error, lines []matcherLine) formErrors {
	field := vigil.ErrorField(err)
	if m := matcherFieldRE.FindStringSubmatch(field); m != nil {
		msg := vigil.ErrorMessage(err)
		if m[2] != "" {
			msg = "label " + m[2] + " " + msg
		}
		if i, _ := strconv.Atoi(m[1]); i < len(lines) {
			msg = fmt.Sprintf("line %d (%s): %s", lines[i].Line, lines[i].Text, msg)
		}
		return silenceFormErrors(map[string]string{"matchers": msg})
	}
	return labeledErrors(err, silenceLabels)
}

// splitMatchers cuts the textarea into matchers: one per line, and also
// at commas outside quotes, so `{env="prod", team="db"}` pasted from
// Alertmanager works; surrounding braces are dropped.
func splitMatchers(text string) ([]matcherLine, error) {
	var out []matcherLine
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "{"), "}"))
		var (
			start   int
			inQuote bool
			escaped bool
		)
		add := func(end int) {
			if t := strings.TrimSpace(line[start:end]); t != "" {
				out = append(out, matcherLine{Line: n + 1, Text: t})
			}
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case escaped:
				escaped = false
			case inQuote && c == '\\':
				escaped = true
			case c == '"':
				inQuote = !inQuote
			case c == ',' && !inQuote:
				add(i)
				start = i + 1
			}
		}
		if inQuote {
			return nil, vigil.FieldError("matchers", "line %d: a quote is not closed", n+1)
		}
		add(len(line))
	}
	return out, nil
}

// parseMatcher reads one matcher in Alertmanager's syntax with the same
// parser as the APIs and the CLI (internal/matcher). Regular expressions
// are compiled and checked by the store.
func parseMatcher(s string) (vigil.SilenceMatcher, error) {
	m, err := matcher.Parse(s)
	if err != nil {
		return vigil.SilenceMatcher{}, err
	}
	return vigil.SilenceMatcher{Name: m.Name(), Value: m.Value(), IsRegex: m.IsRegex(), IsEqual: m.IsEqual()}, nil
}

// matcherText writes a matcher as parseMatcher (and Alertmanager) reads
// it back: the value always quoted, the name when it is not plain.
func matcherText(m vigil.SilenceMatcher) string {
	mt, err := matcher.New(m.Name, m.Value, m.IsRegex, m.IsEqual)
	if err != nil {
		// A stored expression this parser refuses: show it as it is.
		return m.Name + m.Op() + strconv.Quote(m.Value)
	}
	return mt.String()
}

// matcherTexts writes each matcher of a silence.
func matcherTexts(ms []vigil.SilenceMatcher) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = matcherText(m)
	}
	return out
}

// parseSilenceDuration is time.ParseDuration with a leading number of
// days: "2h", "90m", "1d", "1d12h".
func parseSilenceDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 || n > 100_000 {
			return 0, fmt.Errorf("bad number of days")
		}
		days, s = time.Duration(n)*24*time.Hour, s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	return days + d, err
}

// silenceLikeURL is the "New silence" form pre-filled to silence alerts
// with these labels: every label (as silences see them: alertname standing
// for the summary, severity for the severity) as an equality, alertname
// first, for two hours, limited to the service. The person removes the
// labels that should not count before saving.
func silenceLikeURL(a *vigil.Alert, comment string) string {
	labels := vigil.AlertLabels{Labels: a.Labels, Summary: a.Summary, Severity: a.Severity}.Map()
	names := slices.Sorted(maps.Keys(labels))
	q := url.Values{}
	if v := labels["alertname"]; v != "" {
		q.Add("matcher", matcherText(vigil.SilenceMatcher{Name: "alertname", Value: v, IsEqual: true}))
	}
	for _, n := range names {
		if v := labels[n]; v != "" && n != "alertname" {
			q.Add("matcher", matcherText(vigil.SilenceMatcher{Name: n, Value: v, IsEqual: true}))
		}
	}
	q.Set("service_id", itoa(a.ServiceID))
	q.Set("duration", silenceDefaultDuration)
	q.Set("comment", comment)
	return "/silences/new?" + q.Encode()
}

// silenceAgainURL is the form pre-filled with a silence's matchers,
// service, comment and the default duration.
func silenceAgainURL(s *vigil.Silence) string {
	q := url.Values{"matcher": matcherTexts(s.Matchers)}
	if s.ServiceID != nil {
		q.Set("service_id", itoa(*s.ServiceID))
	}
	q.Set("duration", silenceDefaultDuration)
	q.Set("comment", s.Comment)
	if s.ExpireOnResolve {
		q.Set("expire_on_resolve", "1")
	}
	return "/silences/new?" + q.Encode()
}

// silenceURL is a silence's page.
func silenceURL(id int64) string { return "/silences/" + itoa(id) }
