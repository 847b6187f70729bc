package notify

import (
	"fmt"
	"strings"
	"time"
)

// Subject is a one-line summary of m for an SMS, an e-mail subject or a
// chat preview: "[Vigil] #42 critical: disk full on db-1 (api)".
func Subject(m Message) string {
	var b strings.Builder
	b.WriteString("[Vigil] ")
	switch m.Kind {
	case KindAck:
		b.WriteString("Acknowledged: ")
	case KindResolve:
		b.WriteString("Resolved: ")
	case KindTest:
		b.WriteString("Test: ")
	case KindStatus:
		b.WriteString("Status update: ")
	}
	if m.IncidentID != 0 {
		fmt.Fprintf(&b, "#%d ", m.IncidentID)
	}
	if m.Severity != "" && m.Kind != KindAck && m.Kind != KindResolve {
		b.WriteString(m.Severity)
		b.WriteString(": ")
	}
	b.WriteString(m.Title)
	if m.Service != "" {
		fmt.Fprintf(&b, " (%s)", m.Service)
	}
	if m.Bundled > 0 {
		fmt.Fprintf(&b, " and %d more", m.Bundled)
	}
	return b.String()
}

// LateNote says how late a message is, or "" when it is on time (a minute
// of slack is normal engine and vendor latency).
func LateNote(m Message) string {
	if m.Late < time.Minute {
		return ""
	}
	return fmt.Sprintf("Sent %s late: delivery was delayed.", m.Late.Round(time.Second))
}

// Truncate cuts s to at most n bytes on a rune boundary, ending with a
// visible marker when it cut anything (E11: never refuse, never hide that
// text is missing).
func Truncate(s string, n int) string {
	const marker = "… [truncated]"
	if len(s) <= n {
		return s
	}
	if n <= len(marker) {
		return s[:runeStart(s, n)]
	}
	cut := runeStart(s, n-len(marker))
	return s[:cut] + marker
}

// runeStart returns the largest i <= n that starts a rune in s.
func runeStart(s string, n int) int {
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return n
}
