package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// Signing keys are made once per purpose and shared: callers racing to
// make the first one all get the same key; rotation replaces it.
func testSigningKeys(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st

	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := st.SigningKey(ctx, vigil.KeyActionLinks)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != vigil.SigningKeyLen || !bytes.Equal(k, keys[0]) {
			t.Fatalf("caller %d got key %x, caller 0 %x", i, k, keys[0])
		}
	}
	other, err := st.SigningKey(ctx, vigil.KeyCalendarFeeds)
	if err != nil || bytes.Equal(other, keys[0]) {
		t.Errorf("second purpose: %x %v (must differ from the first)", other, err)
	}
	if err := st.RotateSigningKey(ctx, vigil.KeyActionLinks); err != nil {
		t.Fatal(err)
	}
	rotated, err := st.SigningKey(ctx, vigil.KeyActionLinks)
	if err != nil || len(rotated) != vigil.SigningKeyLen || bytes.Equal(rotated, keys[0]) {
		t.Errorf("after rotation: %x %v", rotated, err)
	}
	if again, _ := st.SigningKey(ctx, vigil.KeyCalendarFeeds); !bytes.Equal(again, other) {
		t.Error("rotating one purpose changed another")
	}
}

// Inbound replies find people by address: only enabled methods of the
// asked types, exact match.
func testContactMethodsByAddress(t *testing.T, open OpenFunc) {
	e := setup(t, open)
	ctx, st := e.ctx, e.st
	var users []*vigil.User
	for _, email := range []string{"ana@example.com", "bo@example.com"} {
		u := &vigil.User{Name: email, Email: email}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	const phone = "+4915112345678"
	add := func(u *vigil.User, typ, addr string, disabled bool) *vigil.ContactMethod {
		m := &vigil.ContactMethod{UserID: u.ID, Type: typ, Address: addr, Disabled: disabled}
		if err := st.CreateContactMethod(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	sms := add(users[0], vigil.ContactSMS, phone, false)
	voice := add(users[0], vigil.ContactVoice, phone, false)
	add(users[1], vigil.ContactSMS, phone, true) // disabled: not found
	add(users[1], vigil.ContactSMS, "+4915112345679", false)
	slack := add(users[1], vigil.ContactSlack, "U024BE7LH", false)

	ids := func(ms []*vigil.ContactMethod, err error) []int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, c := range []struct {
		name  string
		addr  string
		types []string
		want  []int64
	}{
		{"sms only", phone, []string{vigil.ContactSMS}, []int64{sms.ID}},
		{"sms or voice", phone, []string{vigil.ContactSMS, vigil.ContactVoice}, []int64{sms.ID, voice.ID}},
		{"any type", "U024BE7LH", nil, []int64{slack.ID}},
		{"wrong type", "U024BE7LH", []string{vigil.ContactSMS}, nil},
		{"no prefix match", "+49151", []string{vigil.ContactSMS}, nil},
		{"case matters", "u024be7lh", []string{vigil.ContactSlack}, nil},
	} {
		got := ids(st.FindContactMethodsByAddress(ctx, c.addr, c.types...))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
