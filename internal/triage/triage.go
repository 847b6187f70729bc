// Package triage holds the pure decisions of alert handling: dedup keys and
// incident grouping. No I/O: storage asks it and acts on the answer.
package triage

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// DedupKey returns the event's dedup key, deriving one from source and
// summary when the sender gave none, so the same message from the same
// source is one alert.
func DedupKey(e *vigil.Event) string {
	if e.DedupKey != "" {
		return e.DedupKey
	}
	h := sha256.Sum256([]byte(e.Source + "\x00" + e.Summary))
	return "auto-" + hex.EncodeToString(h[:16])
}

// Grouping is what storage must look for when a new alert needs an incident.
type Grouping struct {
	// New is true when the alert always opens a new incident.
	New bool
	// Key, when not empty, must equal the open incident's group key.
	Key string
	// Since, when not zero, is the earliest creation time of an incident
	// the alert may join (time-window grouping).
	Since time.Time
}

// Group decides how a new alert of a service finds its incident.
// An adapter-provided group key (Alertmanager's groupKey) wins over the
// service's rule.
func Group(rule vigil.GroupingRule, e *vigil.Event, now time.Time) Grouping {
	if e.GroupKey != "" {
		return Grouping{Key: "g:" + e.GroupKey}
	}
	switch rule.Mode {
	case vigil.GroupNone:
		return Grouping{New: true}
	case vigil.GroupByLabels:
		return Grouping{Key: LabelGroupKey(rule.Labels, e.Labels)}
	default:
		w := time.Duration(rule.Window)
		if w <= 0 {
			w = vigil.DefaultGroupWindow
		}
		return Grouping{Since: now.Add(-w)}
	}
}

// LabelGroupKey is the group key of labels for the given label names: the
// names sorted, each with its value (missing labels count as empty).
func LabelGroupKey(names []string, labels map[string]string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var b strings.Builder
	b.WriteString("l:")
	for i, n := range sorted {
		if i > 0 && sorted[i-1] == n {
			continue
		}
		b.WriteString(n)
		b.WriteByte(0)
		b.WriteString(labels[n])
		b.WriteByte(0)
	}
	h := sha256.Sum256([]byte(b.String()))
	return "l:" + hex.EncodeToString(h[:16])
}

// IncidentTitle is the title of an incident opened by an alert.
func IncidentTitle(e *vigil.Event) string { return e.Summary }
