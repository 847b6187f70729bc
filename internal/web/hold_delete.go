package web

import (
	"net/http"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// holderDeletion is the deletion of something that holds alerts back (a
// maintenance window, an inhibition rule): a confirmation page that says
// what deleting it releases, then the delete, a flash and the list.
type holderDeletion struct {
	Noun, Short string // "maintenance window", "window"
	Name        string
	URL, List   string // the object's page and its list
	Nav         string
	// Holds and Held word what it does to alerts ("holds", "held").
	Holds, Held string
	Count       int // alerts it holds now
	// More are consequences beyond the alerts it releases.
	More   []string
	Delete func() error
}

func (u *UI) deleteHolder(w http.ResponseWriter, r *http.Request, d holderDeletion) {
	if !confirmed(r) {
		m := confirmPage{
			Heading: "Delete " + d.Noun + " " + d.Name + "?",
			Action:  d.URL + "/delete",
			Cancel:  d.URL,
			Button:  "Delete " + d.Short + " " + d.Name,
		}
		if d.Count > 0 {
			m.Consequences = append(m.Consequences, "The "+plural(d.Count, "alert", "alerts")+" it "+d.Holds+" now page at once, unless something else holds them.")
		}
		m.Consequences = append(m.Consequences, d.More...)
		m.Consequences = append(m.Consequences, "If it is in a manifest, the next vigil apply creates it again.")
		u.renderConfirm(w, r, http.StatusOK, d.Nav, m)
		return
	}
	switch err := d.Delete(); vigil.ErrorCode(err) {
	case "":
		msg := upperFirst(d.Noun) + " " + d.Name + " deleted."
		if d.Count > 0 {
			msg += " The " + plural(d.Count, "alert", "alerts") + " it " + d.Held + " now page, unless something else holds them."
		}
		u.redirectFlash(w, r, d.List, "ok", msg)
	case vigil.CodeNotFound:
		u.redirectFlash(w, r, d.List, "error", "That "+d.Noun+" no longer exists.")
	default:
		u.fail(w, r, err)
	}
}

// upperFirst capitalises the first letter of an ASCII noun.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
