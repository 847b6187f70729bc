package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// FuzzGroupMembersForm: the members form never panics, refuses what is
// not a user ID naming the field, and what it accepts are the positive
// IDs typed, in order.
func FuzzGroupMembersForm(f *testing.F) {
	f.Add("1\n2\n3", "on")
	f.Add("", "")
	f.Add("-1", "off")
	f.Add("9223372036854775808\nx", "yes")
	f.Fuzz(func(t *testing.T, members, security string) {
		form := url.Values{"member": strings.Split(members, "\n"), "security": {security}}
		ids, sec, err := parseGroupMembers(form)
		if err != nil {
			if f := vigil.ErrorField(err); f != "member" && f != "security" {
				t.Fatalf("error %v names field %q", err, f)
			}
			return
		}
		if sec != (security == "on") {
			t.Fatalf("security %q read as %v", security, sec)
		}
		var want []int64
		for _, v := range form["member"] {
			n, _ := strconv.ParseInt(v, 10, 64)
			want = append(want, n)
		}
		if !slices.Equal(ids, want) && !(len(ids) == 0 && len(want) == 0) {
			t.Fatalf("members %v from %q", ids, members)
		}
		for _, id := range ids {
			if id <= 0 {
				t.Fatalf("accepted %d", id)
			}
		}
	})
}
