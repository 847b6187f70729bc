package oncall

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

func validSchedule() vigil.Schedule {
	l0 := rotation(vigil.UnitWeek, 1, bt(3, 23, 9, 0), 1, 2)
	l1 := businessHours(bt(3, 23, 9, 0), 3, 4)
	l1.Restrictions = append(l1.Restrictions, daily(hm(22, 0), hours(10)))
	return vigil.Schedule{Name: "Primary", TimeZone: "Europe/Berlin", Layers: []vigil.Layer{l0, l1}}
}

func TestScheduleValidate(t *testing.T) {
	many := func(n int) []int64 {
		m := make([]int64, n)
		for i := range m {
			m[i] = int64(i + 1)
		}
		return m
	}
	cases := []struct {
		name      string
		mutate    func(*vigil.Schedule)
		wantField string
	}{
		{"valid", func(*vigil.Schedule) {}, ""},
		{"no layers is valid (overrides only)", func(s *vigil.Schedule) { s.Layers = nil }, ""},
		{"name missing", func(s *vigil.Schedule) { s.Name = "" }, "name"},
		{"name at limit", func(s *vigil.Schedule) { s.Name = strings.Repeat("n", 255) }, ""},
		{"name too long", func(s *vigil.Schedule) { s.Name = strings.Repeat("n", 256) }, "name"},
		{"name invalid UTF-8", func(s *vigil.Schedule) { s.Name = "a\xff" }, "name"},
		{"zone missing", func(s *vigil.Schedule) { s.TimeZone = "" }, "time_zone"},
		{"zone unknown", func(s *vigil.Schedule) { s.TimeZone = "Europe/Atlantis" }, "time_zone"},
		{"zone Local", func(s *vigil.Schedule) { s.TimeZone = "Local" }, "time_zone"},
		{"zone path", func(s *vigil.Schedule) { s.TimeZone = "../../etc/passwd" }, "time_zone"},
		{"zone UTC", func(s *vigil.Schedule) { s.TimeZone = "UTC" }, ""},
		{"too many layers", func(s *vigil.Schedule) {
			for len(s.Layers) <= vigil.MaxScheduleLayers {
				s.Layers = append(s.Layers, s.Layers[0])
			}
		}, "layers"},
		{"bad unit", func(s *vigil.Schedule) { s.Layers[0].TurnUnit = "month" }, "layers[0].turn_unit"},
		{"count zero", func(s *vigil.Schedule) { s.Layers[0].TurnCount = 0 }, "layers[0].turn_count"},
		{"53 weeks", func(s *vigil.Schedule) { s.Layers[0].TurnCount = 53 }, "layers[0].turn_count"},
		{"52 weeks", func(s *vigil.Schedule) { s.Layers[0].TurnCount = 52 }, ""},
		{"366 days", func(s *vigil.Schedule) { s.Layers[1].TurnUnit = vigil.UnitDay; s.Layers[1].TurnCount = 366 }, "layers[1].turn_count"},
		{"365 days", func(s *vigil.Schedule) { s.Layers[1].TurnUnit = vigil.UnitDay; s.Layers[1].TurnCount = 365 }, ""},
		{"8761 hours", func(s *vigil.Schedule) { s.Layers[0].TurnUnit = vigil.UnitHour; s.Layers[0].TurnCount = 8761 }, "layers[0].turn_count"},
		{"8760 hours", func(s *vigil.Schedule) { s.Layers[0].TurnUnit = vigil.UnitHour; s.Layers[0].TurnCount = 8760 }, ""},
		{"no members", func(s *vigil.Schedule) { s.Layers[0].Members = nil }, "layers[0].members"},
		{"member zero", func(s *vigil.Schedule) { s.Layers[1].Members = []int64{3, 0} }, "layers[1].members"},
		{"member negative", func(s *vigil.Schedule) { s.Layers[0].Members = []int64{-1} }, "layers[0].members"},
		{"100 members", func(s *vigil.Schedule) { s.Layers[0].Members = many(100) }, ""},
		{"101 members", func(s *vigil.Schedule) { s.Layers[0].Members = many(101) }, "layers[0].members"},
		{"member twice is fine", func(s *vigil.Schedule) { s.Layers[0].Members = []int64{1, 2, 1} }, ""},
		{"start missing", func(s *vigil.Schedule) { s.Layers[0].Start = time.Time{} }, "layers[0].start"},
		{"start in year 10000", func(s *vigil.Schedule) { s.Layers[0].Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "layers[0].start"},
		{"layer name too long", func(s *vigil.Schedule) { s.Layers[1].Name = strings.Repeat("n", 256) }, "layers[1].name"},
		{"too many restrictions", func(s *vigil.Schedule) {
			for len(s.Layers[1].Restrictions) <= vigil.MaxLayerRestrictions {
				s.Layers[1].Restrictions = append(s.Layers[1].Restrictions, daily(hm(1, 0), hours(1)))
			}
		}, "layers[1].restrictions"},
		{"restriction kind", func(s *vigil.Schedule) { s.Layers[1].Restrictions[0].Kind = "monthly" }, "layers[1].restrictions[0].kind"},
		{"restriction weekday", func(s *vigil.Schedule) { s.Layers[1].Restrictions[2].Weekday = 7 }, "layers[1].restrictions[2].weekday"},
		{"restriction start", func(s *vigil.Schedule) { s.Layers[1].Restrictions[0].Start = vigil.ClockTime(24 * 60) }, "layers[1].restrictions[0].start"},
		{"restriction start negative", func(s *vigil.Schedule) { s.Layers[1].Restrictions[0].Start = -1 }, "layers[1].restrictions[0].start"},
		{"restriction zero duration", func(s *vigil.Schedule) { s.Layers[1].Restrictions[0].Duration = 0 }, "layers[1].restrictions[0].duration"},
		{"daily over 24h", func(s *vigil.Schedule) {
			s.Layers[1].Restrictions[5].Duration = vigil.Duration(hours(24) + time.Minute)
		}, "layers[1].restrictions[5].duration"},
		{"daily 24h", func(s *vigil.Schedule) { s.Layers[1].Restrictions[5].Duration = vigil.Duration(hours(24)) }, ""},
		{"weekly 7d", func(s *vigil.Schedule) { s.Layers[1].Restrictions[1].Duration = vigil.Duration(hours(168)) }, ""},
		{"weekly over 7d", func(s *vigil.Schedule) { s.Layers[1].Restrictions[1].Duration = vigil.Duration(hours(169)) }, "layers[1].restrictions[1].duration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := validSchedule()
			c.mutate(&s)
			err := s.Validate()
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != c.wantField {
				t.Fatalf("want invalid %q, got code %q field %q (%v)", c.wantField, vigil.ErrorCode(err), vigil.ErrorField(err), err)
			}
		})
	}
}

func TestScheduleNormalize(t *testing.T) {
	s := vigil.Schedule{Name: "x"}
	s.Normalize()
	if s.TimeZone != "UTC" {
		t.Fatalf("time zone %q, want UTC", s.TimeZone)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	s.TimeZone = "Asia/Tokyo"
	s.Normalize()
	if s.TimeZone != "Asia/Tokyo" {
		t.Fatalf("Normalize replaced a set zone: %q", s.TimeZone)
	}
}

func TestOverrideValidate(t *testing.T) {
	start := ut(6, 1, 0, 0)
	cases := []struct {
		name      string
		o         vigil.Override
		wantField string
	}{
		{"valid", vigil.Override{UserID: 1, Start: start, End: start.Add(time.Hour)}, ""},
		{"no user", vigil.Override{Start: start, End: start.Add(time.Hour)}, "user_id"},
		{"negative user", vigil.Override{UserID: -3, Start: start, End: start.Add(time.Hour)}, "user_id"},
		{"no start", vigil.Override{UserID: 1, End: start}, "start"},
		{"end equals start", vigil.Override{UserID: 1, Start: start, End: start}, "end"},
		{"end before start", vigil.Override{UserID: 1, Start: start, End: start.Add(-time.Second)}, "end"},
		{"366 days", vigil.Override{UserID: 1, Start: start, End: start.Add(366 * 24 * time.Hour)}, ""},
		{"over 366 days", vigil.Override{UserID: 1, Start: start, End: start.Add(366*24*time.Hour + time.Second)}, "end"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.Validate()
			if c.wantField == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if vigil.ErrorCode(err) != vigil.CodeInvalid || vigil.ErrorField(err) != c.wantField {
				t.Fatalf("want invalid %q, got %v (field %q)", c.wantField, err, vigil.ErrorField(err))
			}
		})
	}
}

func TestClockTime(t *testing.T) {
	parse := []struct {
		in   string
		want vigil.ClockTime
		ok   bool
	}{
		{"00:00", 0, true},
		{"09:30", 570, true},
		{"9:30", 570, true},
		{"23:59", 1439, true},
		{"24:00", 0, false},
		{"12:60", 0, false},
		{"12:5", 0, false},
		{"123:00", 0, false},
		{"-1:00", 0, false},
		{"+1:00", 0, false},
		{" 9:00", 0, false},
		{"09:00 ", 0, false},
		{"0900", 0, false},
		{":00", 0, false},
		{"", 0, false},
		{"ab:cd", 0, false},
	}
	for _, c := range parse {
		got, err := vigil.ParseClockTime(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseClockTime(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	for _, c := range []struct {
		c    vigil.ClockTime
		want string
	}{{0, "00:00"}, {570, "09:30"}, {1439, "23:59"}, {1440, "ClockTime(1440)"}, {-5, "ClockTime(-5)"}} {
		if got := c.c.String(); got != c.want {
			t.Errorf("String(%d) = %q, want %q", int(c.c), got, c.want)
		}
	}

	// Round trip through a restriction.
	r := daily(hm(22, 5), hours(10))
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"start":"22:05"`) || !strings.Contains(string(b), `"duration":"10h0m0s"`) {
		t.Fatalf("marshalled %s", b)
	}
	var back vigil.Restriction
	if err := json.Unmarshal(b, &back); err != nil || back != r {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for _, bad := range []string{`{"start":"24:00"}`, `{"start":570}`, `{"start":"9"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	ct := vigil.ClockTime(5)
	if err := json.Unmarshal([]byte(`null`), &ct); err != nil || ct != 5 {
		t.Errorf("null: %d, %v", ct, err)
	}
	if _, err := json.Marshal(vigil.ClockTime(1440)); err == nil {
		t.Error("marshalled an out-of-range time of day")
	}
}
