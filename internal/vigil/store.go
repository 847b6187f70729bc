package vigil

import "context"

// Store is everything Vigil keeps, implemented by internal/store on SQLite
// and PostgreSQL.
type Store interface {
	ServiceService
	IntegrationKeyService
	MappingRuleService
	EventService
	AlertService
	IncidentService
	TokenService
	IngestRequestService
	ChangeEventService
	HeartbeatService
	UserService
	TeamService
	ScheduleService
	EscalationPolicyService
	EngineService
	SigningKeyService
	SilenceService
	MaintenanceService
	InhibitRuleService
	StakeholderService
	ClassificationService
	RuleTestService
	NoiseService
	IncidentRoleService
	AuditService
	AccountService
	IdentityService
	// Ping reports whether the database answers; CodeUnavailable if not.
	Ping(ctx context.Context) error
	// CountOpenIncidents counts incidents that are not resolved (metrics).
	CountOpenIncidents(ctx context.Context) (int, error)
	Close() error
}
