package vigil

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Silence states, computed from the time asked about: pending before
// StartsAt, active from StartsAt until EndsAt, expired from EndsAt on.
const (
	SilencePending = "pending"
	SilenceActive  = "active"
	SilenceExpired = "expired"
)

// Limits of a silence. Alertmanager sets none by default; these keep one
// silence small enough to load and match at ingest.
const (
	MaxSilenceMatchers     = 64
	MaxSilenceCommentLen   = 4096
	MaxSilenceAuthorLen    = 255
	MaxSilenceAnnotations  = 64
	MaxSilenceDuration     = 10 * 366 * 24 * time.Hour
	MaxSilenceAnnotationKV = MaxLabelValueLen
)

// DefaultSilenceUnusedAfter is how long an active silence may match no alert
// before it is flagged Unused: it probably outlived its reason (or its
// matchers are wrong and it silences nothing).
const DefaultSilenceUnusedAfter = 7 * 24 * time.Hour

// SilenceMatcher is one label test of a silence, as Alertmanager's API
// carries it: = (IsEqual), != , =~ (IsRegex and IsEqual), !~. A regular
// expression is anchored at both ends; an absent label has the empty value.
type SilenceMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"is_regex"`
	IsEqual bool   `json:"is_equal"`
}

// Op is the matcher's operator: "=", "!=", "=~" or "!~".
func (m SilenceMatcher) Op() string {
	switch {
	case m.IsRegex && m.IsEqual:
		return "=~"
	case m.IsRegex:
		return "!~"
	case m.IsEqual:
		return "="
	}
	return "!="
}

// String is the matcher in Alertmanager's syntax, the value quoted.
func (m SilenceMatcher) String() string {
	return m.Name + m.Op() + fmt.Sprintf("%q", m.Value)
}

// Silence mutes alerts by their labels for a time: an alert that starts
// firing while an active silence matches all of its labels is stored
// (visible, marked with the silence) but opens no incident and pages no
// one. When the silence ends, alerts it still holds page as new ones would.
type Silence struct {
	ID int64 `json:"id"`
	// UUID is the silence's id on Alertmanager's API (amtool, Grafana).
	UUID string `json:"uuid"`
	// ServiceID, when set, limits the silence to that service's alerts
	// (a silence made with an integration key is limited to its service);
	// nil silences alerts of every service.
	ServiceID *int64           `json:"service_id,omitempty"`
	Matchers  []SilenceMatcher `json:"matchers"`
	StartsAt  time.Time        `json:"starts_at"`
	EndsAt    time.Time        `json:"ends_at"`
	CreatedBy string           `json:"created_by"`
	Comment   string           `json:"comment"`
	// Annotations are free key/value pairs (Alertmanager 0.27+).
	Annotations map[string]string `json:"annotations,omitempty"`
	// ExpireOnResolve ends the silence as soon as every alert it holds has
	// resolved (Alertmanager #1057), instead of waiting for EndsAt.
	ExpireOnResolve bool      `json:"expire_on_resolve"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// LastMatchedAt is when the silence last held an alert (a new one or a
	// repeat of one it holds); nil when it never did.
	LastMatchedAt *time.Time `json:"last_matched_at,omitempty"`
	// State is SilencePending, SilenceActive or SilenceExpired at the time
	// the silence was read.
	State string `json:"state"`
	// Unused flags an active silence that has held no alert for
	// DefaultSilenceUnusedAfter (counted from its last match, or from its
	// start when it never matched).
	Unused bool `json:"unused"`
}

// StateAt is the silence's state at now.
func (s *Silence) StateAt(now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return SilencePending
	case now.Before(s.EndsAt):
		return SilenceActive
	}
	return SilenceExpired
}

// UnusedAt reports whether the silence is active at now and has held no
// alert for at least after.
func (s *Silence) UnusedAt(now time.Time, after time.Duration) bool {
	if s.StateAt(now) != SilenceActive {
		return false
	}
	since := s.StartsAt
	if s.LastMatchedAt != nil && s.LastMatchedAt.After(since) {
		since = *s.LastMatchedAt
	}
	return now.Sub(since) >= after
}

// Fill sets the fields computed from now: State and Unused.
func (s *Silence) Fill(now time.Time) {
	s.State = s.StateAt(now)
	s.Unused = s.UnusedAt(now, DefaultSilenceUnusedAfter)
}

// Validate checks a silence's fields. Like Alertmanager it needs at least
// one matcher, and at least one matcher that does not match the empty
// string (else the silence would match alerts lacking every label it
// names: nearly everything). The error names the field.
func (s *Silence) Validate() error {
	if _, err := CompileMatchers(s.Matchers); err != nil {
		return err
	}
	if s.StartsAt.IsZero() {
		return FieldError("starts_at", "is required")
	}
	if s.EndsAt.IsZero() {
		return FieldError("ends_at", "is required")
	}
	if !s.EndsAt.After(s.StartsAt) {
		return FieldError("ends_at", "must be after starts_at")
	}
	if s.EndsAt.Sub(s.StartsAt) > MaxSilenceDuration {
		return FieldError("ends_at", "must be within %d years of starts_at", MaxSilenceDuration/(366*24*time.Hour))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		return FieldError("created_by", "is required")
	}
	if err := checkText("created_by", s.CreatedBy, MaxSilenceAuthorLen); err != nil {
		return err
	}
	if err := checkText("comment", s.Comment, MaxSilenceCommentLen); err != nil {
		return err
	}
	if len(s.Annotations) > MaxSilenceAnnotations {
		return FieldError("annotations", "at most %d annotations", MaxSilenceAnnotations)
	}
	for k, v := range s.Annotations {
		if k == "" {
			return FieldError("annotations", "names must not be empty")
		}
		if err := checkText("annotations", k, MaxLabelNameLen); err != nil {
			return err
		}
		if err := checkText("annotations."+k, v, MaxSilenceAnnotationKV); err != nil {
			return err
		}
	}
	if s.ServiceID != nil && *s.ServiceID <= 0 {
		return FieldError("service_id", "must be a positive integer")
	}
	return nil
}

// SameMatchers reports whether two silences have the same matchers in the
// same order (Alertmanager updates a silence in place only then).
func SameMatchers(a, b []SilenceMatcher) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LabelMatcher is a SilenceMatcher ready to test values: its regular
// expression compiled once (anchored, as Alertmanager does) with its
// literal prefix as a fast refusal.
type LabelMatcher struct {
	SilenceMatcher
	re      *regexp.Regexp
	prefix  string // every match starts with it
	literal bool   // the expression is exactly prefix
}

// CompileMatchers checks and compiles a silence's matchers. CodeInvalid
// naming the matcher ("matchers[2].value") at fault.
func CompileMatchers(ms []SilenceMatcher) ([]LabelMatcher, error) {
	if len(ms) == 0 {
		return nil, FieldError("matchers", "at least one matcher is required")
	}
	if len(ms) > MaxSilenceMatchers {
		return nil, FieldError("matchers", "at most %d matchers", MaxSilenceMatchers)
	}
	out := make([]LabelMatcher, len(ms))
	allMatchEmpty := true
	for i, m := range ms {
		field := fmt.Sprintf("matchers[%d]", i)
		if m.Name == "" {
			return nil, FieldError(field+".name", "is required")
		}
		if err := checkText(field+".name", m.Name, MaxLabelNameLen); err != nil {
			return nil, err
		}
		if err := checkText(field+".value", m.Value, MaxLabelValueLen); err != nil {
			return nil, err
		}
		c := LabelMatcher{SilenceMatcher: m}
		if m.IsRegex {
			re, err := regexp.Compile("^(?:" + m.Value + ")$")
			if err != nil {
				return nil, FieldError(field+".value", "is not a valid regular expression: %v", err)
			}
			c.re = re
			c.prefix, c.literal = re.LiteralPrefix()
		}
		out[i] = c
		allMatchEmpty = allMatchEmpty && c.Matches("")
	}
	if allMatchEmpty {
		return nil, FieldError("matchers", "at least one matcher must not match the empty string (an absent label)")
	}
	return out, nil
}

// Literal returns the one value an equality, or a regular expression
// that is a plain literal, accepts (whatever IsEqual says), and true; or
// false when the matcher accepts more than one value.
func (m *LabelMatcher) Literal() (string, bool) {
	if !m.IsRegex {
		return m.Value, true
	}
	return m.prefix, m.literal
}

// Prefix is what every value a regular expression accepts starts with
// ("" when unknown, and for an equality).
func (m *LabelMatcher) Prefix() string { return m.prefix }

// Matches reports whether the label value v satisfies the matcher.
func (m *LabelMatcher) Matches(v string) bool {
	if !m.IsRegex {
		return (v == m.Value) == m.IsEqual
	}
	var ok bool
	switch {
	case !strings.HasPrefix(v, m.prefix):
		ok = false
	case m.literal:
		ok = v == m.prefix
	default:
		ok = m.re.MatchString(v)
	}
	return ok == m.IsEqual
}

// MatchAll reports whether every matcher matches the alert's labels.
func MatchAll(ms []LabelMatcher, l AlertLabels) bool {
	for i := range ms {
		if !ms[i].Matches(l.Get(ms[i].Name)) {
			return false
		}
	}
	return true
}

// AlertLabels is an alert's labels as silences and Alertmanager's API see
// them: the sender's labels, with alertname standing for the summary and
// severity for the alert's severity when the sender set none (alerts from
// PagerDuty or Opsgenie senders carry neither). No other label is added:
// a silence is limited to a service by its ServiceID, not by a label.
type AlertLabels struct {
	Labels   map[string]string
	Summary  string
	Severity Severity
}

// Get returns the value of a label; absent labels are empty.
func (l AlertLabels) Get(name string) string {
	if v := l.Labels[name]; v != "" {
		return v
	}
	switch name {
	case "alertname":
		return l.Summary
	case "severity":
		return string(l.Severity)
	}
	return ""
}

// Each calls fn with every label of the view whose value is not empty.
func (l AlertLabels) Each(fn func(name, value string)) {
	for k, v := range l.Labels {
		if v != "" {
			fn(k, v)
		}
	}
	if l.Labels["alertname"] == "" && l.Summary != "" {
		fn("alertname", l.Summary)
	}
	if l.Labels["severity"] == "" && l.Severity != "" {
		fn("severity", string(l.Severity))
	}
}

// Map returns the view as a new map.
func (l AlertLabels) Map() map[string]string {
	m := make(map[string]string, len(l.Labels)+2)
	for k, v := range l.Labels {
		m[k] = v
	}
	if m["alertname"] == "" {
		m["alertname"] = l.Summary
	}
	if m["severity"] == "" {
		m["severity"] = string(l.Severity)
	}
	return m
}

// SilenceFilter selects silences. Zero fields do not filter.
type SilenceFilter struct {
	// ServiceID limits the list to silences of that service; with
	// IncludeGlobal, silences of every service are listed too.
	ServiceID     *int64
	IncludeGlobal bool
	// States lists the states wanted (any of); empty means all.
	States []string
	// IDs lists the silences wanted (any of).
	IDs []int64
	// UnusedFor, when above zero, lists only active silences that held no
	// alert for at least that long.
	UnusedFor time.Duration
	// EndsAfter lists only silences ending after it: the ones not ended
	// yet and those that ended since.
	EndsAfter *time.Time
	Offset    int
	Limit     int // 0 means DefaultPageSize; capped at MaxPageSize
}

// SilenceService keeps silences. Every write is stamped with the store's
// clock; reads fill State and Unused from it.
type SilenceService interface {
	// CreateSilence validates and stores s, filling ID, UUID, CreatedAt,
	// UpdatedAt and State. A start in the past becomes now (as in
	// Alertmanager); CreatedBy defaults to the actor's name. CodeInvalid
	// (naming the field), CodeNotFound (service_id).
	CreateSilence(ctx context.Context, s *Silence) error
	// UpdateSilence is Alertmanager's POST of a silence with an id: when
	// the matchers are unchanged and only what Alertmanager allows changed
	// (an active silence's end, not into the past; a pending silence's
	// times, not into the past; comment, author, annotations), it updates
	// the silence id in place. Otherwise it expires the old silence (when
	// not yet expired) and creates s as a new one. s is left as stored:
	// same ID, or the new one's. CodeNotFound, CodeInvalid.
	UpdateSilence(ctx context.Context, id int64, s *Silence) error
	// ExpireSilence ends a silence now (a pending one never starts) and
	// returns it; an expired silence is returned unchanged. The alerts it
	// held that are still firing and that no other silence holds open or
	// join incidents and page, before it returns. CodeNotFound.
	ExpireSilence(ctx context.Context, id int64) (*Silence, error)
	// FindSilenceByID returns CodeNotFound when there is no such silence.
	FindSilenceByID(ctx context.Context, id int64) (*Silence, error)
	// FindSilenceByUUID returns CodeNotFound when there is no such silence.
	FindSilenceByUUID(ctx context.Context, uuid string) (*Silence, error)
	// FindSilences lists silences, newest first, with the total count
	// (capped: see MaxCountedTotal).
	FindSilences(ctx context.Context, f SilenceFilter) ([]*Silence, int, error)
	// ReleaseSilencedAlerts handles up to limit firing alerts held by
	// silences that have ended: each is held by another active silence
	// that matches it, or else opens or joins its incident and pages as a
	// new alert would. It returns how many it released. Safe on several
	// replicas at once: each alert is re-checked in its transaction.
	// Since maintenance windows and inhibition it is the same as
	// AlertService.ReleaseHeldAlerts: every hold that ended is released.
	ReleaseSilencedAlerts(ctx context.Context, limit int) (int, error)
}
