package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// noiseRanges are the ranges the report's form offers.
var noiseRanges = []struct {
	Value string
	Span  time.Duration
}{{"1d", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}}

// noiseReportPage is the model of report_noise.html.
type noiseReportPage struct {
	layout
	// The form: a range back from now or since/until (RFC 3339, from a
	// link), and the zone of night.
	Ranges []option
	TZ     string
	Since  string
	Until  string
	// Error says which parameter was refused (the page is then a 400).
	Error       string
	Report      *vigil.NoiseReport
	Sections    []noiseSection
	NightStart  int
	NightEnd    int
	Suggestions []vigil.NoiseSuggestion
}

// noiseSection is one table with its chart column: services, keys, rules.
type noiseSection struct {
	ID, Heading, Title, Empty string
	Rows                      []noiseRowView
}

// noiseRowView is one row with the bars of its charts. Bars are inline
// SVG drawn by the template from these numbers (percent of the largest
// row of the section), so the page needs no script and no style
// attributes (CSP).
type noiseRowView struct {
	Name string
	Link string
	vigil.NoiseCounts
	IncidentBar []barSegment // noise, actionable, no verdict
	PageBar     []barSegment // at night, by day
	Label       string       // the bars in words, for screen readers
}

// barSegment is one <rect> of a stacked bar.
type barSegment struct {
	Class string
	X, W  string
}

// reportNoise answers GET /reports/noise.
func (u *UI) reportNoise(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m := noiseReportPage{TZ: q.Get("tz"), Since: q.Get("since"), Until: q.Get("until"),
		NightStart: vigil.NightStartHour, NightEnd: vigil.NightEndHour}
	m.layout = u.layout(w, r, "Noise report", "noise")
	pick := q.Get("range")
	if pick == "" && m.Since == "" {
		pick = "7d"
	}
	var span time.Duration
	for _, o := range noiseRanges {
		if o.Value == pick {
			span = o.Span
		}
		m.Ranges = append(m.Ranges, option{Value: o.Value, Label: "last " + o.Value, Selected: o.Value == pick})
	}
	nq, err := vigil.ParseNoiseQuery(q.Get, u.clock.Now())
	if err == nil && pick != "" {
		if span == 0 {
			err = vigil.FieldError("range", "pick one of the ranges offered")
		} else if m.Since == "" {
			nq.Since = nq.Until.Add(-span)
			err = nq.Validate()
		}
	}
	var rep *vigil.NoiseReport
	if err == nil {
		rep, err = u.store.NoiseReport(r.Context(), nq)
	}
	if vigil.ErrorCode(err) == vigil.CodeInvalid {
		m.Error = vigil.ErrorField(err) + ": " + vigil.ErrorMessage(err)
		u.render(w, r, http.StatusBadRequest, "report_noise.html", m)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m.Report, m.Suggestions, m.TZ = rep, rep.Suggestions, rep.TimeZone
	services := noiseSection{ID: "services", Heading: "By service", Title: "Service", Empty: "No alerts or incidents in this range."}
	for _, row := range rep.Services {
		services.Rows = append(services.Rows, noiseRowView{Name: row.Name, Link: "/services/" + itoa(row.ID), NoiseCounts: row.NoiseCounts})
	}
	keys := noiseSection{ID: "keys", Heading: "By integration key", Title: "Integration key", Empty: "No alerts came through integration keys in this range."}
	for _, row := range rep.IntegrationKeys {
		keys.Rows = append(keys.Rows, noiseRowView{Name: row.ServiceName + " / " + row.Name, Link: "/services/" + itoa(row.ServiceID), NoiseCounts: row.NoiseCounts})
	}
	rules := noiseSection{ID: "rules", Heading: "By classification rule", Title: "Classification rule", Empty: "No classification rule applied to an incident in this range."}
	for _, row := range rep.Rules {
		rules.Rows = append(rules.Rows, noiseRowView{Name: row.Name, NoiseCounts: row.NoiseCounts})
	}
	for _, s := range []noiseSection{services, keys, rules} {
		drawNoiseBars(s.Rows)
		m.Sections = append(m.Sections, s)
	}
	u.render(w, r, http.StatusOK, "report_noise.html", m)
}

// drawNoiseBars sizes each row's bars against the section's largest.
func drawNoiseBars(rows []noiseRowView) {
	most := 1
	for _, r := range rows {
		most = max(most, r.Incidents, r.Pages)
	}
	for i := range rows {
		c := rows[i].NoiseCounts
		rows[i].IncidentBar = stack(most, []int{c.Noise, c.Actionable, c.Incidents - c.Noise - c.Actionable}, "bar-noise", "bar-actionable", "bar-unmarked")
		rows[i].PageBar = stack(most, []int{c.NightPages, c.Pages - c.NightPages}, "bar-night", "bar-day")
		rows[i].Label = fmt.Sprintf("%d incidents (%d noise, %d actionable); %d pages (%d at night)",
			c.Incidents, c.Noise, c.Actionable, c.Pages, c.NightPages)
	}
}

// stack lays parts end to end, each as a share of 100 per most.
func stack(most int, parts []int, classes ...string) []barSegment {
	var out []barSegment
	x := 0.0
	for i, n := range parts {
		if n <= 0 {
			continue
		}
		w := float64(n) * 100 / float64(most)
		out = append(out, barSegment{Class: classes[i], X: strconv.FormatFloat(x, 'f', 2, 64), W: strconv.FormatFloat(w, 'f', 2, 64)})
		x += w
	}
	return out
}
