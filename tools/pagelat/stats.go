package main

import (
	"math"
	"sort"
	"time"
)

// ack is an alert whose post was answered 2xx: it opened Incident.
type ack struct {
	Incident int64
	At       time.Time
}

// page is one page webhook the receiver got.
type page struct {
	Incident  int64
	MessageID string
	At        time.Time
}

// stats is what one run measured. Latency is from the 2xx of the alert's
// post to the arrival of the incident's first page at the receiver; it can
// be slightly negative when the page overtakes the HTTP answer.
type stats struct {
	Acked int `json:"acked"` // incidents opened (2xx answers)
	Paged int `json:"paged"` // of those, paged within the timeout
	// Lost were acknowledged with a 2xx but not paged within the timeout.
	Lost int `json:"lost"`
	// Duplicates are incidents paged more than once; Redelivered of them
	// got the same message (same Vigil-Message-Id) again, the rest got
	// distinct page messages.
	Duplicates  int `json:"duplicates"`
	Redelivered int `json:"redelivered"`
	ExtraPages  int `json:"extra_pages"` // pages beyond the first, over all incidents
	// Unexpected pages name an incident this run did not open.
	Unexpected int `json:"unexpected"`

	Latency latency `json:"latency_ms"`
}

// latency summarises durations in milliseconds.
type latency struct {
	N    int     `json:"n"`
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// analyze matches pages to acks by incident. A page later than timeout
// after its ack counts the incident as lost (and not in the latencies).
func analyze(acks []ack, pages []page, timeout time.Duration) stats {
	var s stats
	ackAt := make(map[int64]time.Time, len(acks))
	for _, a := range acks {
		if prev, ok := ackAt[a.Incident]; !ok || a.At.Before(prev) {
			ackAt[a.Incident] = a.At
		}
	}
	s.Acked = len(ackAt)
	byIncident := make(map[int64][]page, len(ackAt))
	for _, p := range pages {
		if _, ok := ackAt[p.Incident]; !ok {
			s.Unexpected++
			continue
		}
		byIncident[p.Incident] = append(byIncident[p.Incident], p)
	}
	var lat []time.Duration
	for inc, at := range ackAt {
		ps := byIncident[inc]
		if len(ps) == 0 {
			s.Lost++
			continue
		}
		first := ps[0].At
		ids := map[string]bool{}
		redelivered := false
		for _, p := range ps {
			if p.At.Before(first) {
				first = p.At
			}
			if ids[p.MessageID] {
				redelivered = true
			}
			ids[p.MessageID] = true
		}
		if len(ps) > 1 {
			s.Duplicates++
			s.ExtraPages += len(ps) - 1
			if redelivered {
				s.Redelivered++
			}
		}
		d := first.Sub(at)
		if d > timeout {
			s.Lost++
			continue
		}
		s.Paged++
		lat = append(lat, d)
	}
	s.Latency = summarize(lat)
	return s
}

// pageRate is pages per second between the first and the last page.
func pageRate(pages []page) float64 {
	if len(pages) < 2 {
		return 0
	}
	first, last := pages[0].At, pages[0].At
	for _, p := range pages[1:] {
		if p.At.Before(first) {
			first = p.At
		}
		if p.At.After(last) {
			last = p.At
		}
	}
	if !last.After(first) {
		return 0
	}
	return math.Round(float64(len(pages)-1)/last.Sub(first).Seconds()*10) / 10
}

// summarize gives nearest-rank percentiles of d in milliseconds.
func summarize(d []time.Duration) latency {
	if len(d) == 0 {
		return latency{}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return latency{
		N:    len(d),
		Min:  ms(d[0]),
		Mean: ms(sum / time.Duration(len(d))),
		P50:  ms(percentile(d, 50)),
		P90:  ms(percentile(d, 90)),
		P99:  ms(percentile(d, 99)),
		Max:  ms(d[len(d)-1]),
	}
}

// percentile is the nearest-rank percentile p (0-100] of sorted d: the
// smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*100) / 100
}
