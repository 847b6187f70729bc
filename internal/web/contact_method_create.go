package web

import (
	"net/http"
	"strings"

	"github.com/vigil-oss/vigil/internal/vigil"
)

// contactForm is the "Add a contact method" form of a person's page.
type contactForm struct {
	Type    string
	Name    string
	Address string
	Types   []option
	Errors  formErrors
}

// contactLabels name the form's inputs (vigil.ContactMethod's field names).
var contactLabels = map[string]string{"type": "Type", "name": "Name", "address": "Address"}

// contactTypeNames are the contact types as the type select shows them.
var contactTypeNames = map[string]string{
	vigil.ContactEmail:      "E-mail",
	vigil.ContactSMS:        "SMS (Twilio)",
	vigil.ContactVoice:      "Voice call (Twilio)",
	vigil.ContactSlack:      "Slack",
	vigil.ContactTeams:      "Microsoft Teams (Workflows URL)",
	vigil.ContactWebhook:    "Webhook",
	vigil.ContactSMSGateway: "SMS gateway",
}

func contactTypeOptions(selected string) []option {
	opts := make([]option, 0, len(vigil.ContactTypes))
	for _, t := range vigil.ContactTypes {
		label := contactTypeNames[t]
		if label == "" {
			label = t
		}
		opts = append(opts, option{Value: t, Label: label, Selected: t == selected})
	}
	return opts
}

// contactMethodCreate answers POST /users/{id}/contact-methods.
func (u *UI) contactMethodCreate(w http.ResponseWriter, r *http.Request) {
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
	f := contactForm{
		Type:    strings.TrimSpace(r.PostFormValue("type")),
		Name:    strings.TrimSpace(r.PostFormValue("name")),
		Address: strings.TrimSpace(r.PostFormValue("address")),
	}
	m := &vigil.ContactMethod{UserID: id, Type: f.Type, Name: f.Name, Address: f.Address}
	err := u.store.CreateContactMethod(ctx, m)
	switch code := vigil.ErrorCode(err); code {
	case "":
		u.redirectFlash(w, r, userURL(id), "ok",
			"Contact method "+m.Name+" ("+vigil.MaskAddress(m.Type, m.Address)+") added. Send it a test notification to check it works.")
	case vigil.CodeInvalid:
		f.Errors = labeledErrors(err, contactLabels)
		u.renderUserShow(w, r, id, statusOf(code), userForms{Contact: &f})
	default:
		u.fail(w, r, err)
	}
}
