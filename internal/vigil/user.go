package vigil

import (
	"context"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Contact method types: how a person can be reached.
const (
	ContactEmail      = "email"
	ContactSMS        = "sms"         // Twilio SMS
	ContactVoice      = "voice"       // Twilio voice call
	ContactSlack      = "slack"       // a Slack user or channel ID
	ContactTeams      = "teams"       // a Microsoft Teams Workflows webhook URL
	ContactWebhook    = "webhook"     // an outgoing JSON webhook
	ContactSMSGateway = "sms_gateway" // a generic HTTP SMS gateway
)

// ContactTypes lists every contact method type.
var ContactTypes = []string{ContactEmail, ContactSMS, ContactVoice, ContactSlack, ContactTeams, ContactWebhook, ContactSMSGateway}

// User is a person who can be paged.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// TimeZone is the user's IANA zone, used to show times to them.
	TimeZone string `json:"time_zone"`
	// Role is the global role (UserRoles); new users are responders.
	// UpdateUser leaves it alone: SetUserRole changes it.
	Role string `json:"role"`
	// HasPassword and TOTPEnabled say whether the user can sign in and
	// with a second factor. The hash and the secret themselves never
	// leave the store through this type.
	HasPassword bool      `json:"has_password"`
	TOTPEnabled bool      `json:"totp_enabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// UserNames maps user IDs to names, for pages and tables that show people
// by name. Indexing an unknown ID gives "".
type UserNames map[int64]string

// NewUserNames indexes users by ID.
func NewUserNames(users []*User) UserNames {
	names := make(UserNames, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	return names
}

// UserLister lists users: the store, or the API client.
type UserLister interface {
	ListUsers(ctx context.Context) ([]*User, error)
}

// LoadUserNames lists every user and indexes their names.
func LoadUserNames(ctx context.Context, l UserLister) (UserNames, error) {
	users, err := l.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	return NewUserNames(users), nil
}

// Of is the user's name, or "user #N" for one not in the map (deleted
// since it was referenced).
func (n UserNames) Of(id int64) string {
	if name, ok := n[id]; ok {
		return name
	}
	return "user #" + strconv.FormatInt(id, 10)
}

// ContactMethod is one way to reach a user: an address on a channel.
type ContactMethod struct {
	ID      int64  `json:"id"`
	UserID  int64  `json:"user_id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Address string `json:"address"` // e-mail, E.164 number, Slack ID or URL
	// Disabled methods are skipped (a number that bounced, say).
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// NotificationRule is a personal rule: reach ContactMethodID Delay after
// the user is paged, while the incident stays unacknowledged.
type NotificationRule struct {
	ID              int64     `json:"id"`
	UserID          int64     `json:"user_id"`
	ContactMethodID int64     `json:"contact_method_id"`
	Delay           Duration  `json:"delay"`
	CreatedAt       time.Time `json:"created_at"`
}

// Team is a group of users who own services, schedules and policies.
type Team struct {
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Members     []int64 `json:"members"` // user IDs
	// Managers are the members who manage the team: they edit its
	// services, schedules and policies and see its private incidents
	// whatever their global role. A manager is always a member too.
	Managers []int64 `json:"managers"`
	// Responders are the members who respond on the team's incidents
	// (acknowledge, resolve, note, take roles, post status updates)
	// whatever their global role: responding granted per team. Managers
	// respond too without being listed. A responder is always a member.
	Responders []int64   `json:"responders"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// UserService stores users, their contact methods and notification rules.
type UserService interface {
	// CreateUser stores u; CodeInvalid names the field, CodeConflict when the
	// e-mail is taken.
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	// FindUser returns one user; CodeNotFound.
	FindUser(ctx context.Context, id int64) (*User, error)
	ListUsers(ctx context.Context) ([]*User, error)
	// DeleteUser removes the user with their contact methods, rules,
	// memberships and overrides; schedule layers and policy steps that name
	// them lose that entry.
	DeleteUser(ctx context.Context, id int64) error

	// CreateContactMethod stores m; CodeInvalid names the field.
	CreateContactMethod(ctx context.Context, m *ContactMethod) error
	UpdateContactMethod(ctx context.Context, m *ContactMethod) error
	FindContactMethod(ctx context.Context, id int64) (*ContactMethod, error)
	ListContactMethods(ctx context.Context, userID int64) ([]*ContactMethod, error)
	// FindContactMethodsByAddress lists the enabled contact methods of the
	// given types with exactly this address (an inbound SMS's number, a
	// Slack user ID), oldest first.
	FindContactMethodsByAddress(ctx context.Context, address string, types ...string) ([]*ContactMethod, error)
	DeleteContactMethod(ctx context.Context, userID, id int64) error

	// CreateNotificationRule stores r; the contact method must be the user's.
	CreateNotificationRule(ctx context.Context, r *NotificationRule) error
	ListNotificationRules(ctx context.Context, userID int64) ([]*NotificationRule, error)
	DeleteNotificationRule(ctx context.Context, userID, id int64) error
}

// TeamService stores teams.
type TeamService interface {
	// CreateTeam stores t with its members; CodeConflict on a taken name.
	CreateTeam(ctx context.Context, t *Team) error
	// UpdateTeam replaces name, description and members.
	UpdateTeam(ctx context.Context, t *Team) error
	FindTeam(ctx context.Context, id int64) (*Team, error)
	ListTeams(ctx context.Context) ([]*Team, error)
	DeleteTeam(ctx context.Context, id int64) error
}

var (
	e164Pattern    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	slackIDPattern = regexp.MustCompile(`^[UWCGD][A-Z0-9]{2,20}$`)
)

// Validate checks a user; default time zone UTC.
func (u *User) Validate() error {
	u.Name, u.Email = strings.TrimSpace(u.Name), strings.TrimSpace(u.Email)
	if u.Name == "" {
		return FieldError("name", "is required")
	}
	if err := checkText("name", u.Name, MaxNameLen); err != nil {
		return err
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > MaxNameLen {
		return FieldError("email", "must be an e-mail address such as ana@example.com")
	}
	if u.TimeZone == "" {
		u.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(u.TimeZone); err != nil {
		return FieldError("time_zone", "unknown time zone %q (use an IANA name such as Europe/Berlin)", u.TimeZone)
	}
	if u.Role == "" {
		u.Role = RoleResponder
	}
	if !slices.Contains(UserRoles, u.Role) {
		return FieldError("role", "must be one of %s", strings.Join(UserRoles, ", "))
	}
	return nil
}

// Validate checks a contact method's type and address.
func (m *ContactMethod) Validate() error {
	m.Name, m.Address = strings.TrimSpace(m.Name), strings.TrimSpace(m.Address)
	if !slices.Contains(ContactTypes, m.Type) {
		return FieldError("type", "must be one of %s", strings.Join(ContactTypes, ", "))
	}
	if m.Name == "" {
		m.Name = m.Type
	}
	if err := checkText("name", m.Name, MaxNameLen); err != nil {
		return err
	}
	if len(m.Address) > 2048 {
		return FieldError("address", "at most 2048 bytes")
	}
	switch m.Type {
	case ContactEmail:
		if a, err := mail.ParseAddress(m.Address); err != nil || a.Address != m.Address {
			return FieldError("address", "must be an e-mail address")
		}
	case ContactSMS, ContactVoice, ContactSMSGateway:
		if !e164Pattern.MatchString(m.Address) {
			return FieldError("address", "must be a phone number in E.164 form, such as +4915112345678")
		}
	case ContactSlack:
		if !slackIDPattern.MatchString(m.Address) {
			return FieldError("address", "must be a Slack member or channel ID, such as U024BE7LH or C024BE91L")
		}
	case ContactTeams, ContactWebhook:
		u, err := url.Parse(m.Address)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return FieldError("address", "must be an http or https URL")
		}
	}
	return nil
}

// Validate checks a notification rule's delay.
func (r *NotificationRule) Validate() error {
	if r.ContactMethodID <= 0 {
		return FieldError("contact_method_id", "is required")
	}
	if r.Delay < 0 || time.Duration(r.Delay) > 24*time.Hour {
		return FieldError("delay", "must be between 0 and 24h")
	}
	return nil
}

// Validate checks a team.
func (t *Team) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" {
		return FieldError("name", "is required")
	}
	if err := checkText("name", t.Name, MaxNameLen); err != nil {
		return err
	}
	if err := checkText("description", t.Description, MaxDescriptionLen); err != nil {
		return err
	}
	for _, id := range t.Members {
		if id <= 0 {
			return FieldError("members", "user ids are positive")
		}
	}
	for _, id := range t.Managers {
		if id <= 0 {
			return FieldError("managers", "user ids are positive")
		}
	}
	for _, id := range t.Responders {
		if id <= 0 {
			return FieldError("responders", "user ids are positive")
		}
	}
	return nil
}

// Grants says whether the team gives userID perm on its own objects:
// its managers manage and respond, its responders respond.
func (t *Team) Grants(userID int64, perm string) bool {
	switch perm {
	case PermManage:
		return slices.Contains(t.Managers, userID)
	case PermRespond:
		return slices.Contains(t.Managers, userID) || slices.Contains(t.Responders, userID)
	}
	return false
}

// MaskAddress shows enough of a destination to recognise it without
// revealing a secret URL: the host of a URL, the last digits of a number.
func MaskAddress(typ, addr string) string {
	switch typ {
	case ContactTeams, ContactWebhook:
		if u, err := url.Parse(addr); err == nil {
			return u.Scheme + "://" + u.Host + "/…"
		}
		return "…"
	case ContactSMS, ContactVoice, ContactSMSGateway:
		if len(addr) > 4 {
			return strings.Repeat("•", len(addr)-4) + addr[len(addr)-4:]
		}
	}
	return addr
}
