package web

import (
	"net/http"
	"time"

	"github.com/vigil-oss/vigil/internal/signed"
	"github.com/vigil-oss/vigil/internal/vigil"
)

// userNotificationsShown is how many of a person's latest notifications
// their page lists (test notifications included).
const userNotificationsShown = 20

// userShowPage is the model of user_show.html.
type userShowPage struct {
	layout
	User          *vigil.User
	Methods       []contactMethodView
	Rules         []ruleView
	Notifications []notificationView
	FeedURL       string
	Edit          userForm
	Contact       contactForm
	Rule          ruleForm
	// Identities are the single sign-on accounts linked to the person.
	Identities []*vigil.Identity
}

// contactMethodView is a contact method with its address masked.
type contactMethodView struct {
	ID        int64
	Name      string
	Type      string
	Address   string
	Disabled  bool
	CreatedAt time.Time
}

// ruleView is a notification rule with its contact method named.
type ruleView struct {
	ID     int64
	Delay  string
	Method string
	Type   string
}

// userForms are the forms of a person's page as submitted, when one was
// refused; nil ones are shown fresh.
type userForms struct {
	Edit    *userForm
	Contact *contactForm
	Rule    *ruleForm
}

// userShow answers GET /users/{id}.
func (u *UI) userShow(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		u.notFound(w, r)
		return
	}
	u.renderUserShow(w, r, id, http.StatusOK, userForms{})
}

// renderUserShow shows person id's page with status; forms holds the form
// that was refused, with its errors.
func (u *UI) renderUserShow(w http.ResponseWriter, r *http.Request, id int64, status int, forms userForms) {
	ctx := r.Context()
	us, err := u.store.FindUser(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	methods, err := u.store.ListContactMethods(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	rules, err := u.store.ListNotificationRules(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	log, err := u.store.FindNotifications(ctx, vigil.NotificationFilter{UserID: &id, Limit: userNotificationsShown})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	identities, err := u.store.ListIdentities(ctx, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	m := userShowPage{User: us, Notifications: newNotificationViews(log), Identities: identities}
	byID := map[int64]*vigil.ContactMethod{}
	for _, cm := range methods {
		byID[cm.ID] = cm
		m.Methods = append(m.Methods, contactMethodView{
			ID: cm.ID, Name: cm.Name, Type: cm.Type, Address: vigil.MaskAddress(cm.Type, cm.Address),
			Disabled: cm.Disabled, CreatedAt: cm.CreatedAt,
		})
	}
	for _, rule := range rules {
		v := ruleView{ID: rule.ID, Delay: time.Duration(rule.Delay).String(), Method: "contact method #" + itoa(rule.ContactMethodID)}
		if rule.Delay == 0 {
			v.Delay = "at once"
		} else {
			v.Delay = "after " + v.Delay
		}
		if cm := byID[rule.ContactMethodID]; cm != nil {
			v.Method, v.Type = cm.Name, cm.Type
		}
		m.Rules = append(m.Rules, v)
	}
	if m.FeedURL, err = u.feedURL(r, signed.FeedUser, id); err != nil {
		u.fail(w, r, err)
		return
	}
	if forms.Edit != nil {
		m.Edit = *forms.Edit
	} else {
		m.Edit = newUserForm(us)
	}
	if forms.Contact != nil {
		m.Contact = *forms.Contact
	} else {
		m.Contact = contactForm{Type: vigil.ContactEmail}
	}
	m.Contact.Types = contactTypeOptions(m.Contact.Type)
	if forms.Rule != nil {
		m.Rule = *forms.Rule
	} else {
		m.Rule = ruleForm{Delay: "0"}
	}
	m.Rule.Methods = contactMethodOptions(methods, m.Rule.ContactMethodID)
	m.layout = u.layout(w, r, us.Name, "users")
	m.Can.Self = u.mayChangePerson(r, us.ID) == nil
	u.render(w, r, status, "user_show.html", m)
}

// userURL is where the contact method buttons send the browser back.
func userURL(id int64) string { return "/users/" + itoa(id) }
