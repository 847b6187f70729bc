package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// openIncidentsGauge asks the store at scrape time; CountOpenIncidents is a
// single indexed count, and a failed count reports NaN instead of a stale
// number.
func openIncidentsGauge(store vigil.Store, log *slog.Logger) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigil_open_incidents",
		Help: "Incidents that are not resolved.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := store.CountOpenIncidents(ctx)
		if err != nil {
			log.Warn("metrics: count open incidents", "err", err)
			return nan
		}
		return float64(n)
	})
}
