package vigil

import (
	"context"
	"time"
)

// Escalation target types.
const (
	TargetUser     = "user"
	TargetSchedule = "schedule" // whoever is on call on it
	TargetTeam     = "team"     // every member
)

// MaxEscalationRepeat bounds how often a policy may start over.
const MaxEscalationRepeat = 9

// EscalationPolicy says whom to page, in which order, for a service's
// incidents. Step i fires, then after its Delay step i+1 fires; after the
// last step's Delay the policy starts over, Repeat more times.
type EscalationPolicy struct {
	ID          int64            `json:"id"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	TeamID      int64            `json:"team_id,omitempty"`
	Repeat      int              `json:"repeat"`
	Steps       []EscalationStep `json:"steps"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
}

// EscalationStep pages its targets, then waits Delay before the next step.
type EscalationStep struct {
	Delay   Duration `json:"delay"`
	Targets []Target `json:"targets"`
	// Condition, when set, limits the step to a time window; outside it the
	// step is skipped (and the timeline says so).
	Condition *StepCondition `json:"condition,omitempty"`
}

// Target is someone a step pages.
type Target struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// StepCondition is a weekly window in a time zone: the listed weekdays
// (all when empty) between Start and End (whole day when both are zero).
type StepCondition struct {
	TimeZone string         `json:"time_zone"`
	Weekdays []time.Weekday `json:"weekdays,omitempty"`
	Start    ClockTime      `json:"start"`
	End      ClockTime      `json:"end"`
}

// EscalationPolicyService stores escalation policies.
type EscalationPolicyService interface {
	// CreateEscalationPolicy validates and stores p; CodeInvalid names the
	// field (a target that does not exist included).
	CreateEscalationPolicy(ctx context.Context, p *EscalationPolicy) error
	// UpdateEscalationPolicy replaces p. Incidents mid-escalation continue
	// at the same step index of the new steps (and stop if it no longer
	// exists), with the timing they already had.
	UpdateEscalationPolicy(ctx context.Context, p *EscalationPolicy) error
	FindEscalationPolicy(ctx context.Context, id int64) (*EscalationPolicy, error)
	ListEscalationPolicies(ctx context.Context) ([]*EscalationPolicy, error)
	// DeleteEscalationPolicy: CodeConflict while a service names it.
	DeleteEscalationPolicy(ctx context.Context, id int64) error
}
