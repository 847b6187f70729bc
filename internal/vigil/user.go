package vigil

import (
	"context"
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
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
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
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Members     []int64   `json:"members"` // user IDs
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
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
