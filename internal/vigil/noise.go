package vigil

import (
	"context"
	"strings"
	"time"
)

// Feedback verdicts a responder gives an incident: was it worth waking up
// for? "" clears a verdict.
const (
	VerdictNoise      = "noise"
	VerdictActionable = "actionable"
)

// EntryFeedback is the timeline kind of a verdict given or cleared.
const EntryFeedback = "feedback"

// ValidVerdict reports whether v is a verdict, or "" (none).
func ValidVerdict(v string) bool {
	return v == "" || v == VerdictNoise || v == VerdictActionable
}

// IncidentFeedback is the verdict on an incident: Verdict is "" when no
// one gave one (or it was cleared); By and At say who set it last.
type IncidentFeedback struct {
	IncidentID int64      `json:"incident_id"`
	Verdict    string     `json:"verdict"`
	By         string     `json:"by,omitempty"`
	At         *time.Time `json:"at,omitempty"`
}

// What the noise report calls night, a quick acknowledgement and a quick
// resolve.
const (
	NightStartHour = 22 // local time, inclusive
	NightEndHour   = 7  // local time, exclusive
	QuickAck       = 5 * time.Minute
	QuickResolve   = 5 * time.Minute
	// RefireGap: an incident opened this soon after the previous one of
	// its group resolved counts as a re-fire.
	RefireGap = 15 * time.Minute
	// PairGap: two incidents of different services opened this close
	// together count as opening together.
	PairGap = time.Minute
)

// Limits of the noise report's time range.
const (
	DefaultNoiseRange = 7 * 24 * time.Hour
	MaxNoiseRange     = 366 * 24 * time.Hour
)

// NoiseQuery selects the report: incidents created and alerts first seen
// in [Since, Until); night is read in TimeZone ("" means UTC).
type NoiseQuery struct {
	Since    time.Time
	Until    time.Time
	TimeZone string
}

// Validate checks the range and the zone, naming the query parameter.
func (q *NoiseQuery) Validate() error {
	if q.Since.IsZero() {
		return FieldError("since", "is required")
	}
	if q.Until.IsZero() {
		return FieldError("until", "is required")
	}
	if !q.Until.After(q.Since) {
		return FieldError("until", "must be after since")
	}
	if q.Until.Sub(q.Since) > MaxNoiseRange {
		return FieldError("since", "the range may span at most %d days", int(MaxNoiseRange/(24*time.Hour)))
	}
	if q.TimeZone == "" {
		q.TimeZone = "UTC"
	}
	return ValidateTimeZone("tz", q.TimeZone)
}

// Location is the query's zone (UTC when it is not a known one).
func (q *NoiseQuery) Location() *time.Location {
	loc, err := time.LoadLocation(q.TimeZone)
	if err != nil || q.TimeZone == "" {
		return time.UTC
	}
	return loc
}

// NightIntervals lists the nights (NightStartHour to NightEndHour, local
// time in loc) that overlap [since, until), clipped to it, oldest first.
// Local times are computed per day, so a night across a DST change is an
// hour shorter or longer.
func NightIntervals(since, until time.Time, loc *time.Location) [][2]time.Time {
	var out [][2]time.Time
	first := since.In(loc)
	y, m, d := first.Date()
	for day := time.Date(y, m, d-1, 12, 0, 0, 0, loc); day.Before(until); day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, loc) {
		start := time.Date(day.Year(), day.Month(), day.Day(), NightStartHour, 0, 0, 0, loc)
		end := time.Date(day.Year(), day.Month(), day.Day()+1, NightEndHour, 0, 0, 0, loc)
		if start.Before(since) {
			start = since
		}
		if end.After(until) {
			end = until
		}
		if start.Before(end) {
			out = append(out, [2]time.Time{start.UTC(), end.UTC()})
		}
	}
	return out
}

// NoiseCounts are the counts of one row of the noise report.
type NoiseCounts struct {
	Alerts         int `json:"alerts"`          // alerts first seen in the range
	Incidents      int `json:"incidents"`       // incidents created in the range
	Pages          int `json:"pages"`           // page messages sent for those incidents
	PagedIncidents int `json:"paged_incidents"` // incidents with at least one page sent
	AckedQuickly   int `json:"acked_within_5m"` // paged incidents acknowledged within QuickAck of their first page
	NightPages     int `json:"night_pages"`     // pages sent at night in the report's zone
	Noise          int `json:"noise"`           // incidents marked noise
	Actionable     int `json:"actionable"`      // incidents marked actionable
}

// Add adds o to c.
func (c *NoiseCounts) Add(o NoiseCounts) {
	c.Alerts += o.Alerts
	c.Incidents += o.Incidents
	c.Pages += o.Pages
	c.PagedIncidents += o.PagedIncidents
	c.AckedQuickly += o.AckedQuickly
	c.NightPages += o.NightPages
	c.Noise += o.Noise
	c.Actionable += o.Actionable
}

// NoiseRow is one service, integration key or classification rule.
type NoiseRow struct {
	ID          int64  `json:"id,omitempty"` // service or integration key; 0 for a rule
	Name        string `json:"name"`
	ServiceID   int64  `json:"service_id,omitempty"`   // of an integration key
	ServiceName string `json:"service_name,omitempty"` // of an integration key
	NoiseCounts
}

// NoiseAlertGroup is the alerts of one service with one alert name (the
// alertname label, or the summary without one) that opened or joined
// incidents in the range.
type NoiseAlertGroup struct {
	ServiceID   int64  `json:"service_id"`
	ServiceName string `json:"service_name"`
	AlertName   string `json:"alert_name"`
	Alerts      int    `json:"alerts"`
	Incidents   int    `json:"incidents"`
	Noise       int    `json:"noise"`      // of those incidents, marked noise
	Actionable  int    `json:"actionable"` // marked actionable
	// QuickUnacked counts alerts that resolved within QuickResolve of
	// firing while their incident was never acknowledged.
	QuickUnacked int `json:"quick_unacked"`
}

// NoisePair is two alert kinds (a service and the name of an incident's
// first alert) of different services whose incidents open together: the
// target within PairGap after the source. Incidents are counted in
// PairGap-long stretches of time ("times"), so a storm of one kind counts
// once per stretch.
type NoisePair struct {
	SourceServiceID int64  `json:"source_service_id"`
	SourceService   string `json:"source_service"`
	SourceAlert     string `json:"source_alert"`
	TargetServiceID int64  `json:"target_service_id"`
	TargetService   string `json:"target_service"`
	TargetAlert     string `json:"target_alert"`
	Together        int    `json:"together"`     // times the target opened incidents right after the source
	TargetTimes     int    `json:"target_times"` // times the target opened incidents in the range
}

// NoiseRefire is one group of a service (its group key) whose incidents
// reopened soon after the previous one resolved.
type NoiseRefire struct {
	ServiceID   int64        `json:"service_id"`
	ServiceName string       `json:"service_name"`
	GroupKey    string       `json:"group_key"`
	Grouping    GroupingRule `json:"grouping"`
	Incidents   int          `json:"incidents"`
	// SoonAfterResolve counts incidents opened within RefireGap of the
	// previous incident of the group resolving.
	SoonAfterResolve int `json:"soon_after_resolve"`
}

// Suggestion kinds.
const (
	SuggestSilence     = "silence"
	SuggestInhibit     = "inhibit"
	SuggestGroupWindow = "group_window"
)

// NoiseFact is one number that supports a suggestion.
type NoiseFact struct {
	Label string `json:"label"`
	Value int    `json:"value"`
}

// NoiseSuggestion is a change the counts argue for, with the numbers and a
// ready action: a CLI line and a path of the web UI.
type NoiseSuggestion struct {
	Kind    string      `json:"kind"`
	Title   string      `json:"title"`
	Reason  string      `json:"reason"`
	Facts   []NoiseFact `json:"facts"`
	Command string      `json:"command"`
	Link    string      `json:"link,omitempty"`
}

// NoiseReport is the noise report of a range.
type NoiseReport struct {
	Since           time.Time         `json:"since"`
	Until           time.Time         `json:"until"`
	TimeZone        string            `json:"time_zone"`
	Totals          NoiseCounts       `json:"totals"`
	Services        []NoiseRow        `json:"services"`
	IntegrationKeys []NoiseRow        `json:"integration_keys"`
	Rules           []NoiseRow        `json:"rules"`
	Suggestions     []NoiseSuggestion `json:"suggestions"`
	// The facts the suggestions are drawn from.
	AlertGroups []NoiseAlertGroup `json:"alert_groups"`
	Pairs       []NoisePair       `json:"pairs"`
	Refires     []NoiseRefire     `json:"refires"`
}

// NoiseService keeps responders' verdicts and reports on noise.
type NoiseService interface {
	// SetIncidentFeedback records (or, with "", clears) the verdict on an
	// incident and writes it to the timeline; the same verdict again
	// changes nothing. CodeInvalid (verdict), CodeNotFound.
	SetIncidentFeedback(ctx context.Context, id int64, verdict string) (*IncidentFeedback, error)
	// FindIncidentFeedback returns the verdict (Verdict "" when none).
	// CodeNotFound.
	FindIncidentFeedback(ctx context.Context, id int64) (*IncidentFeedback, error)
	// NoiseReport counts per service, integration key and rule and draws
	// suggestions from the counts. CodeInvalid (query).
	NoiseReport(ctx context.Context, q NoiseQuery) (*NoiseReport, error)
}

// ParseNoiseQuery reads the report's parameters as the API and the web
// page take them (since and until in RFC 3339, tz an IANA name; each may
// be empty) and fills the rest: until is the end of the current minute (so
// what happened just now counts), since DefaultNoiseRange before until,
// the zone UTC. Errors name the parameter (CodeInvalid).
func ParseNoiseQuery(get func(name string) string, now time.Time) (NoiseQuery, error) {
	q := NoiseQuery{Until: now.UTC().Truncate(time.Minute).Add(time.Minute), TimeZone: strings.TrimSpace(get("tz"))}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"until", &q.Until}, {"since", &q.Since}} {
		v := strings.TrimSpace(get(p.name))
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return q, FieldError(p.name, "must be an RFC 3339 time like 2026-01-02T15:04:05Z")
		}
		*p.to = t.UTC()
	}
	if q.Since.IsZero() {
		q.Since = q.Until.Add(-DefaultNoiseRange)
	}
	return q, q.Validate()
}
