package oncall

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// icalTime is the RFC 5545 UTC DATE-TIME form.
const icalTime = "20060102T150405Z"

// maxLine is the longest content line in octets, CRLF excluded (RFC 5545
// §3.1).
const maxLine = 75

// FeedShift is a shift in a calendar feed, with the schedule it is on.
type FeedShift struct {
	ScheduleID   int64
	ScheduleName string
	vigil.Shift
}

// OfSchedule labels a schedule's shifts for a feed.
func OfSchedule(s vigil.Schedule, shifts []vigil.Shift) []FeedShift {
	out := make([]FeedShift, len(shifts))
	for i, sh := range shifts {
		out[i] = FeedShift{ScheduleID: s.ID, ScheduleName: s.Name, Shift: sh}
	}
	return out
}

// ForUser keeps the shifts of one person, in time order (a person's
// feed; shifts come from several schedules).
func ForUser(userID int64, shifts []FeedShift) []FeedShift {
	var out []FeedShift
	for _, sh := range shifts {
		if sh.UserID == userID {
			out = append(out, sh)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// ICal renders shifts as an RFC 5545 calendar named title, one VEVENT per
// shift, for calendar subscriptions: a schedule's feed holds its shifts,
// a person's feed their shifts on every schedule. names maps user IDs to
// display names (missing ones show as "user <id>"). A shift's UID is
// "<schedule id>-<user id>-<start unix>@vigil", the same in both feeds and
// stable as long as the shift starts at the same instant; a shift cut by
// the start of the requested window gets another UID, so feeds should ask
// for windows starting on a fixed grid (or accept one changed event at the
// edge). DTSTAMP is now.
func ICal(title string, shifts []FeedShift, names map[int64]string, now time.Time) string {
	var b strings.Builder
	line := func(name, value string) { writeFolded(&b, name+":"+value) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Vigil//On-call//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeText(title))
	stamp := now.UTC().Format(icalTime)
	for _, sh := range shifts {
		name, ok := names[sh.UserID]
		if !ok || name == "" {
			name = "user " + strconv.FormatInt(sh.UserID, 10)
		}
		line("BEGIN", "VEVENT")
		line("UID", strconv.FormatInt(sh.ScheduleID, 10)+"-"+strconv.FormatInt(sh.UserID, 10)+"-"+
			strconv.FormatInt(sh.Start.Unix(), 10)+"@vigil")
		line("DTSTAMP", stamp)
		line("DTSTART", sh.Start.UTC().Format(icalTime))
		line("DTEND", sh.End.UTC().Format(icalTime))
		line("SUMMARY", escapeText("On call: "+name+" ("+sh.ScheduleName+")"))
		if sh.Override {
			line("DESCRIPTION", "Override")
		}
		// Being on call does not make anyone busy in their calendar.
		line("TRANSP", "TRANSPARENT")
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.String()
}

// escapeText escapes a TEXT value (RFC 5545 §3.3.11): backslash,
// semicolon, comma and newlines; other control characters, which TEXT
// may not hold, are dropped, and invalid UTF-8 is replaced.
func escapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == ';':
			b.WriteString(`\;`)
		case r == ',':
			b.WriteString(`\,`)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// writeFolded writes one content line with CRLF, folded so no line is
// longer than 75 octets: continuation lines begin with one space. Folds
// never split a UTF-8 character.
func writeFolded(b *strings.Builder, l string) {
	limit := maxLine
	for len(l) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(l[cut]) {
			cut--
		}
		b.WriteString(l[:cut])
		b.WriteString("\r\n ")
		l = l[cut:]
		limit = maxLine - 1 // the leading space counts
	}
	b.WriteString(l)
	b.WriteString("\r\n")
}
