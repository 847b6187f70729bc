package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// userForm is the "New person" form of /users and the edit form of a
// person's page, as typed.
type userForm struct {
	Action   string
	Submit   string
	Name     string
	Email    string
	TimeZone string
	Errors   formErrors
}

// userLabels name the form's inputs (vigil.User's field names) in messages.
var userLabels = map[string]string{"name": "Name", "email": "E-mail", "time_zone": "Time zone"}

// newUserForm is the form for us, or an empty one for a new person.
func newUserForm(us *vigil.User) userForm {
	if us == nil {
		return userForm{Action: "/users", Submit: "Add person", TimeZone: "UTC"}
	}
	return userForm{Action: userURL(us.ID), Submit: "Save", Name: us.Name, Email: us.Email, TimeZone: us.TimeZone}
}

// parseUserForm reads the form into f and a user (without ID).
func parseUserForm(r *http.Request, f *userForm) *vigil.User {
	f.Name = strings.TrimSpace(r.PostFormValue("name"))
	f.Email = strings.TrimSpace(r.PostFormValue("email"))
	f.TimeZone = strings.TrimSpace(r.PostFormValue("time_zone"))
	return &vigil.User{Name: f.Name, Email: f.Email, TimeZone: f.TimeZone}
}

// checkUser validates us as the store will, refusing the server's "Local"
// zone as schedules do: a person's zone must mean the same on every host.
func checkUser(us *vigil.User) error {
	if err := us.Validate(); err != nil {
		return err
	}
	return vigil.ValidateTimeZone("time_zone", us.TimeZone)
}
