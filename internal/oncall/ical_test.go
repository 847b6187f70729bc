package oncall

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func TestICal(t *testing.T) {
	s := vigil.Schedule{ID: 42, Name: "Ops"}
	shifts := []vigil.Shift{
		{UserID: 1, Start: bt(6, 2, 9, 0), End: bt(6, 3, 9, 0)},
		{UserID: 2, Start: bt(6, 3, 9, 0), End: bt(6, 3, 12, 0), Override: true},
	}
	now := ut(6, 1, 12, 30)
	got := ICal("On call: Ops", OfSchedule(s, shifts), map[int64]string{1: "Ada"}, now)
	want := "BEGIN:VCALENDAR\r\n" +
		"VERSION:2.0\r\n" +
		"PRODID:-//Vigil//On-call//EN\r\n" +
		"CALSCALE:GREGORIAN\r\n" +
		"METHOD:PUBLISH\r\n" +
		"X-WR-CALNAME:On call: Ops\r\n" +
		"BEGIN:VEVENT\r\n" +
		"UID:42-1-1780383600@vigil\r\n" +
		"DTSTAMP:20260601T123000Z\r\n" +
		"DTSTART:20260602T070000Z\r\n" +
		"DTEND:20260603T070000Z\r\n" +
		"SUMMARY:On call: Ada (Ops)\r\n" +
		"TRANSP:TRANSPARENT\r\n" +
		"END:VEVENT\r\n" +
		"BEGIN:VEVENT\r\n" +
		"UID:42-2-1780470000@vigil\r\n" +
		"DTSTAMP:20260601T123000Z\r\n" +
		"DTSTART:20260603T070000Z\r\n" +
		"DTEND:20260603T100000Z\r\n" +
		"SUMMARY:On call: user 2 (Ops)\r\n" +
		"DESCRIPTION:Override\r\n" +
		"TRANSP:TRANSPARENT\r\n" +
		"END:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	// The same shift computed again, with times in another zone, keeps
	// its UID.
	again := ICal("On call: Ops", OfSchedule(s, []vigil.Shift{{UserID: 1, Start: ut(6, 2, 7, 0), End: ut(6, 3, 7, 0)}}), nil, now.Add(24*60*60e9))
	if !strings.Contains(again, "UID:42-1-1780383600@vigil\r\n") {
		t.Fatalf("UID changed:\n%s", again)
	}
}

// TestPersonalFeed: a person's feed holds their shifts from every
// schedule, in time order, each naming its schedule, with the UIDs the
// schedules' own feeds give the same shifts.
func TestPersonalFeed(t *testing.T) {
	ops, db := vigil.Schedule{ID: 1, Name: "Ops"}, vigil.Schedule{ID: 2, Name: "Database"}
	all := append(OfSchedule(ops, []vigil.Shift{
		{UserID: 7, Start: ut(6, 3, 0, 0), End: ut(6, 4, 0, 0)},
		{UserID: 8, Start: ut(6, 4, 0, 0), End: ut(6, 5, 0, 0)},
		{UserID: 7, Start: ut(6, 5, 0, 0), End: ut(6, 6, 0, 0)},
	}), OfSchedule(db, []vigil.Shift{
		{UserID: 7, Start: ut(6, 2, 12, 0), End: ut(6, 3, 12, 0), Override: true},
		{UserID: 9, Start: ut(6, 3, 12, 0), End: ut(6, 4, 12, 0)},
	})...)
	mine := ForUser(7, all)
	var got []string
	for _, sh := range mine {
		got = append(got, sh.ScheduleName+" "+sh.Start.Format("02T15"))
	}
	if want := []string{"Database 02T12", "Ops 03T00", "Ops 05T00"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("ForUser = %v, want %v", got, want)
	}
	feed := ICal("On call: Ana", mine, map[int64]string{7: "Ana"}, ut(6, 1, 0, 0))
	for _, want := range []string{"X-WR-CALNAME:On call: Ana\r\n", "SUMMARY:On call: Ana (Database)\r\n", "SUMMARY:On call: Ana (Ops)\r\n",
		"UID:2-7-" + strconv.FormatInt(ut(6, 2, 12, 0).Unix(), 10) + "@vigil\r\n"} {
		if !strings.Contains(feed, want) {
			t.Errorf("feed lacks %q:\n%s", want, feed)
		}
	}
	if n := strings.Count(feed, "BEGIN:VEVENT"); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
}

func TestICalEscapeAndFold(t *testing.T) {
	cases := []struct{ in, want string }{
		{`plain`, `plain`},
		{`a,b;c\d`, `a\,b\;c\\d`},
		{"line1\nline2\r\nline3\rline4", `line1\nline2\nline3\nline4`},
		{"tab\tok, bell\a gone", `tab` + "\t" + `ok\, bell gone`},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{`Ünïcødé stays`, `Ünïcødé stays`},
	}
	for _, c := range cases {
		if got := escapeText(c.in); got != c.want {
			t.Errorf("escapeText(%q) = %q, want %q", c.in, got, c.want)
		}
	}

	// A long name with multi-byte characters and characters to escape.
	name := strings.Repeat("Büro, Nacht; ", 12) + "Ende"
	s := vigil.Schedule{ID: 1, Name: name}
	out := ICal("On call: "+name, OfSchedule(s, []vigil.Shift{{UserID: 1, Start: bt(6, 2, 9, 0), End: bt(6, 3, 9, 0)}}), map[int64]string{1: "Zoë"}, ut(6, 1, 0, 0))
	if !strings.HasSuffix(out, "\r\n") || strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\n") ||
		strings.Contains(strings.ReplaceAll(out, "\r\n", ""), "\r") {
		t.Fatal("lines must end in CRLF and nothing else")
	}
	lines := strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n")
	folded := 0
	for i, l := range lines {
		if len(l) > 75 {
			t.Errorf("line %d is %d octets: %q", i, len(l), l)
		}
		if !utf8.ValidString(l) {
			t.Errorf("line %d splits a UTF-8 character: %q", i, l)
		}
		if strings.HasPrefix(l, " ") {
			folded++
		}
	}
	if folded < 4 {
		t.Fatalf("expected the long summary and name to fold, got %d continuation lines:\n%s", folded, out)
	}
	// Unfolding (remove CRLF + one space) restores the escaped summary.
	unfolded := strings.ReplaceAll(out, "\r\n ", "")
	wantSummary := "SUMMARY:On call: Zoë (" + escapeText(name) + ")\r\n"
	if !strings.Contains(unfolded, wantSummary) {
		t.Fatalf("unfolded output lacks %q:\n%s", wantSummary, unfolded)
	}
}

func TestWriteFolded(t *testing.T) {
	var b strings.Builder
	writeFolded(&b, strings.Repeat("a", 75))
	if b.String() != strings.Repeat("a", 75)+"\r\n" {
		t.Fatalf("75 octets must not fold: %q", b.String())
	}
	b.Reset()
	writeFolded(&b, strings.Repeat("a", 76))
	if b.String() != strings.Repeat("a", 75)+"\r\n a\r\n" {
		t.Fatalf("76 octets: %q", b.String())
	}
	b.Reset()
	writeFolded(&b, strings.Repeat("a", 75+74+1))
	if b.String() != strings.Repeat("a", 75)+"\r\n "+strings.Repeat("a", 74)+"\r\n a\r\n" {
		t.Fatalf("continuation lines hold 74 octets after the space: %q", b.String())
	}
	b.Reset()
	// "é" is two octets; octet 75 would split the one at 74–75.
	writeFolded(&b, strings.Repeat("a", 74)+"é")
	if b.String() != strings.Repeat("a", 74)+"\r\n é\r\n" {
		t.Fatalf("multi-byte fold: %q", b.String())
	}
}
