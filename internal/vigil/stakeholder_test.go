package vigil

import (
	"errors"
	"slices"
	"testing"
)

func TestSelectStakeholderGroups(t *testing.T) {
	support := &StakeholderGroup{ID: 1, Name: "Customer support", MinSeverity: SeverityCritical}
	eng := &StakeholderGroup{ID: 2, Name: "Engineering", MinSeverity: SeverityWarning}
	execs := &StakeholderGroup{ID: 3, Name: "Executives"} // only when named
	all := []*StakeholderGroup{support, eng, execs}
	cases := []struct {
		name  string
		all   []*StakeholderGroup
		names []string
		sev   Severity
		want  []string
		code  string
		field string
	}{
		{name: "critical reaches critical and warning groups", all: all, sev: SeverityCritical, want: []string{"Customer support", "Engineering"}},
		{name: "error reaches the warning group", all: all, sev: SeverityError, want: []string{"Engineering"}},
		{name: "warning is the threshold itself", all: all, sev: SeverityWarning, want: []string{"Engineering"}},
		{name: "info reaches nobody", all: all, sev: SeverityInfo, code: CodeConflict},
		{name: "no groups at all", sev: SeverityCritical, code: CodeConflict},
		{name: "named, any case, once, in order", all: all, names: []string{"executives", " CUSTOMER SUPPORT", "Executives"}, sev: SeverityInfo,
			want: []string{"Executives", "Customer support"}},
		{name: "unknown name", all: all, names: []string{"Engineering", "Legal"}, sev: SeverityCritical, code: CodeInvalid, field: "groups[1]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SelectStakeholderGroups(tc.all, tc.names, tc.sev)
			if tc.code != "" {
				var e *Error
				if !errors.As(err, &e) || e.Code != tc.code || e.Field != tc.field {
					t.Fatalf("err %v, want %s on %q", err, tc.code, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				names = append(names, g.Name)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("got %v, want %v", names, tc.want)
			}
		})
	}
}

func TestStakeholderChannelValidate(t *testing.T) {
	cases := []struct {
		ch    StakeholderChannel
		field string // "" = valid
	}{
		{StakeholderChannel{Type: "slack", Address: "C024BE91L"}, ""},
		{StakeholderChannel{Type: " Slack ", Address: "#customer-support"}, ""},
		{StakeholderChannel{Type: "slack", Address: "#Customer Support"}, "c.address"},
		{StakeholderChannel{Type: "slack", Address: "#"}, "c.address"},
		{StakeholderChannel{Type: "teams", Address: "https://example.webhook.office.com/workflows/1"}, ""},
		{StakeholderChannel{Type: "teams", Address: "https://example.webhook.office.com/…"}, "c.address"},
		{StakeholderChannel{Type: "email", Address: "Support <support@example.com>"}, "c.address"},
		{StakeholderChannel{Type: "email", Address: "support@example.com", Name: "list"}, ""},
		{StakeholderChannel{Type: "webhook", Address: "http://statuspage.internal/hook"}, ""},
		{StakeholderChannel{Type: "voice", Address: "+4915112345678"}, "c.type"},
	}
	for _, tc := range cases {
		c := tc.ch
		err := c.validate("c")
		var e *Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: %v", tc.ch, err)
		case tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field):
			t.Errorf("%+v: err %v, want one on %s", tc.ch, err, tc.field)
		case tc.field == "" && c.Name == "":
			t.Errorf("%+v: no default name", tc.ch)
		}
	}
}

// A client that reads a group (secrets masked) and writes it back keeps
// the secrets; a new URL replaces the old one.
func TestKeepMaskedAddresses(t *testing.T) {
	old := &StakeholderGroup{Channels: []StakeholderChannel{
		{Type: ContactWebhook, Address: "https://hooks.example.com/a/s3cret-a"},
		{Type: ContactWebhook, Address: "https://hooks.example.com/b/s3cret-b"},
		{Type: ContactTeams, Address: "https://teams.example.com/wf/s3cret-t"},
		{Type: ContactEmail, Address: "x@example.com"},
	}}
	read := old.Masked()
	if read.Channels[0].Address != "https://hooks.example.com/…" || old.Channels[0].Address != "https://hooks.example.com/a/s3cret-a" ||
		read.Channels[3].Address != "x@example.com" {
		t.Fatalf("masked %+v (old %+v)", read.Channels, old.Channels)
	}
	// Reordered and extended: the teams channel moved first, a channel
	// came in between, the two webhooks (which mask alike) keep their
	// order.
	back := &StakeholderGroup{Channels: []StakeholderChannel{read.Channels[2], read.Channels[0],
		{Type: ContactWebhook, Address: "https://new.example.com/hook"}, read.Channels[1]}}
	back.KeepMaskedAddresses(old)
	want := []string{"https://teams.example.com/wf/s3cret-t", "https://hooks.example.com/a/s3cret-a", "https://new.example.com/hook",
		"https://hooks.example.com/b/s3cret-b"}
	for i, c := range back.Channels {
		if c.Address != want[i] {
			t.Errorf("channel %d: %q, want %q", i, c.Address, want[i])
		}
	}
	same := read.Masked()
	same.KeepMaskedAddresses(old)
	for i, c := range same.Channels {
		if c.Address != old.Channels[i].Address {
			t.Errorf("unchanged channel %d: %q", i, c.Address)
		}
	}
}
