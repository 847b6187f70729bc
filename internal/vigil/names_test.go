package vigil

import (
	"context"
	"errors"
	"testing"
	"time"
)

type userList struct {
	users []*User
	err   error
}

func (l userList) ListUsers(context.Context) ([]*User, error) { return l.users, l.err }

func TestUserNames(t *testing.T) {
	names, err := LoadUserNames(context.Background(), userList{users: []*User{{ID: 1, Name: "Ana"}, {ID: 7, Name: "Bo"}}})
	if err != nil {
		t.Fatal(err)
	}
	if names.Of(1) != "Ana" || names.Of(7) != "Bo" || names[3] != "" || names.Of(3) != "user #3" {
		t.Errorf("names %v: Of(1)=%q Of(7)=%q Of(3)=%q", names, names.Of(1), names.Of(7), names.Of(3))
	}
	boom := errors.New("down")
	if _, err := LoadUserNames(context.Background(), userList{err: boom}); !errors.Is(err, boom) {
		t.Errorf("error not passed on: %v", err)
	}
}

func TestOverrideValues(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	in := []*Override{{ID: 1, UserID: 2, Start: at}, {ID: 3, UserID: 4, End: at}}
	out := OverrideValues(in)
	if len(out) != 2 || out[0] != *in[0] || out[1] != *in[1] {
		t.Errorf("got %+v", out)
	}
	out[0].UserID = 9
	if in[0].UserID != 2 {
		t.Error("the values alias the stored overrides")
	}
}
