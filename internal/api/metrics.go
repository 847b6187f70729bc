package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Ingest results, the values of vigil_ingest_events_total's result label.
const (
	IngestAccepted     = "accepted"
	IngestInvalid      = "invalid"
	IngestUnauthorized = "unauthorized"
	IngestUnavailable  = "unavailable"
	IngestError        = "error"
	IngestRateLimited  = "rate_limited"
)

// Metrics are the counters the HTTP layer keeps. Every ingest adapter
// (native now; Alertmanager, PagerDuty, Opsgenie later) counts through the
// same vectors with its own format label. A nil *Metrics counts nothing.
type Metrics struct {
	// IngestEvents counts events by wire format and result.
	IngestEvents *prometheus.CounterVec
	// IngestAlerts counts what accepted events did to alerts:
	// new, repeat, acknowledged, resolved, noop.
	IngestAlerts *prometheus.CounterVec
	// RequestDuration observes every HTTP answer by route pattern, method
	// and status code.
	RequestDuration *prometheus.HistogramVec
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		IngestEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_ingest_events_total",
			Help: "Events received by ingest endpoints, by wire format and result.",
		}, []string{"format", "result"}),
		IngestAlerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_ingest_alerts_total",
			Help: "What accepted events did to alerts: new, repeat, acknowledged, resolved, noop.",
		}, []string{"result"}),
		RequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vigil_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern, method and status code.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
	}
	reg.MustRegister(m.IngestEvents, m.IngestAlerts, m.RequestDuration)
	return m
}

// CountIngest adds n events of a format with a result.
func (m *Metrics) CountIngest(format, result string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.IngestEvents.WithLabelValues(format, result).Add(float64(n))
}

// CountAlerts records what processed events did.
func (m *Metrics) CountAlerts(results []vigil.EventResult) {
	if m == nil {
		return
	}
	for _, r := range results {
		m.IngestAlerts.WithLabelValues(alertResult(r)).Inc()
	}
}

func alertResult(r vigil.EventResult) string {
	switch {
	case r.AlertNew:
		return "new"
	case r.Action == vigil.ActionTrigger:
		return "repeat"
	case !r.Changed:
		return "noop"
	case r.Action == vigil.ActionResolve:
		return "resolved"
	}
	return "acknowledged"
}
