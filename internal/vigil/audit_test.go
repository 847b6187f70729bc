package vigil

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func TestParseAuditObject(t *testing.T) {
	for _, c := range []struct {
		in   string
		typ  string
		id   int64
		fail bool
	}{
		{in: "service", typ: "service"},
		{in: " service:3 ", typ: "service", id: 3},
		{in: "service:", fail: true},
		{in: "service:0", fail: true},
		{in: "service:-2", fail: true},
		{in: "service:x", fail: true},
		{in: ":3", fail: true},
		{in: "service:99999999999999999999", fail: true},
	} {
		typ, id, err := ParseAuditObject(c.in)
		if c.fail {
			if ErrorCode(err) != CodeInvalid {
				t.Errorf("%q: %v, want invalid", c.in, err)
			}
			continue
		}
		if err != nil || typ != c.typ || (c.id == 0) != (id == nil) || (id != nil && *id != c.id) {
			t.Errorf("%q: %q %v %v", c.in, typ, id, err)
		}
	}
}

// FuzzParseAuditObject: any text is either refused with a field error or
// read as a type and a positive id.
func FuzzParseAuditObject(f *testing.F) {
	for _, s := range []string{"service", "service:3", "incident:0", ":", "a:b:c", "x:9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, id, err := ParseAuditObject(s)
		if err != nil {
			var ve *Error
			if !errors.As(err, &ve) || ve.Field != "object" {
				t.Fatalf("%q: %v is not a field error", s, err)
			}
			return
		}
		if id != nil && (*id <= 0 || typ == "") {
			t.Fatalf("%q: type %q id %d", s, typ, *id)
		}
	})
}

func TestAuditChanges(t *testing.T) {
	for _, c := range []struct {
		name          string
		before, after string
		want          []AuditChange
	}{
		{"update", `{"name":"a","n":1,"updated_at":"x","same":[1, 2]}`, `{"name":"b","n":1,"updated_at":"y","same":[1,2],"new":true}`,
			[]AuditChange{{"name", `"a"`, `"b"`}, {"new", "", "true"}}},
		{"create", ``, `{"id":3}`, []AuditChange{{"id", "", "3"}}},
		{"delete", `{"id":3}`, ``, []AuditChange{{"id", "3", ""}}},
		{"not objects", `[1]`, `[2]`, []AuditChange{{"", "[1]", "[2]"}}},
		{"nothing", ``, ``, nil},
	} {
		e := AuditEntry{}
		if c.before != "" {
			e.Before = json.RawMessage(c.before)
		}
		if c.after != "" {
			e.After = json.RawMessage(c.after)
		}
		if got := e.Changes(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
