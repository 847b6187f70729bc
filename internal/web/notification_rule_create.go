package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// ruleForm is the "Add a rule" form of a person's page.
type ruleForm struct {
	ContactMethodID string
	Delay           string
	Methods         []option
	Errors          formErrors
}

// ruleLabels name the form's inputs (vigil.NotificationRule's field names).
var ruleLabels = map[string]string{"contact_method_id": "Contact method", "delay": "Delay"}

func contactMethodOptions(methods []*vigil.ContactMethod, selected string) []option {
	opts := []option{{Value: "", Label: "Choose a contact method", Selected: selected == ""}}
	for _, m := range methods {
		v := itoa(m.ID)
		label := m.Name + " (" + m.Type + ")"
		if m.Disabled {
			label += ", disabled"
		}
		opts = append(opts, option{Value: v, Label: label, Selected: v == selected})
	}
	return opts
}

// parseDelay reads a rule's delay: a Go duration ("2m", "1h30m", "0") or a
// bare number of minutes ("5").
func parseDelay(v string) (time.Duration, error) {
	if v == "" {
		return 0, vigil.FieldError("delay", "is required: 0 for at once, or a duration such as 2m")
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 && n <= 24*60 {
		return time.Duration(n * float64(time.Minute)).Round(time.Second), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, vigil.FieldError("delay", "must be a duration such as 0, 2m or 1h30m")
	}
	return d, nil
}

// notificationRuleCreate answers POST /users/{id}/notification-rules.
func (u *UI) notificationRuleCreate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	ctx := r.Context()
	if _, err := u.store.FindUser(ctx, id); err != nil {
		u.fail(w, r, err)
		return
	}
	f := ruleForm{
		ContactMethodID: strings.TrimSpace(r.PostFormValue("contact_method_id")),
		Delay:           strings.TrimSpace(r.PostFormValue("delay")),
	}
	rule := &vigil.NotificationRule{UserID: id}
	var err error
	if f.ContactMethodID != "" {
		rule.ContactMethodID, err = strconv.ParseInt(f.ContactMethodID, 10, 64)
		if err != nil || rule.ContactMethodID <= 0 {
			err = vigil.FieldError("contact_method_id", "choose one of this person's contact methods")
		}
	} else {
		err = vigil.FieldError("contact_method_id", "choose one of this person's contact methods")
	}
	if err == nil {
		var d time.Duration
		d, err = parseDelay(f.Delay)
		rule.Delay = vigil.Duration(d)
	}
	if err == nil {
		err = u.store.CreateNotificationRule(ctx, rule)
	}
	switch code := vigil.ErrorCode(err); code {
	case "":
		msg := "Rule added: "
		if m, err := u.store.FindContactMethod(ctx, rule.ContactMethodID); err == nil {
			msg += m.Name
		} else {
			msg += "contact method #" + itoa(rule.ContactMethodID)
		}
		if rule.Delay == 0 {
			msg += " at once."
		} else {
			msg += " after " + rule.Delay.String() + "."
		}
		u.redirectFlash(w, r, userURL(id), "ok", msg)
	case vigil.CodeInvalid:
		f.Errors = labeledErrors(err, ruleLabels)
		u.renderUserShow(w, r, id, statusOf(code), userForms{Rule: &f})
	default:
		u.fail(w, r, err)
	}
}
