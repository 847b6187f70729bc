package vigil

import (
	"context"
	"strings"
	"time"
)

// Incident roles: who runs the response. Each role is held by at most one
// person at a time; holding one makes that person a responder of the
// incident (they see it when it is private).
const (
	IncidentManager    = "incident_manager"
	CommunicationsLead = "communications_lead"
	TechLead           = "tech_lead"
	EngineeringManager = "engineering_manager"
)

// IncidentRoles lists the roles in the order pages show them.
var IncidentRoles = []string{IncidentManager, CommunicationsLead, TechLead, EngineeringManager}

// IncidentRoleLabel is how people read a role: "incident manager".
func IncidentRoleLabel(role string) string { return strings.ReplaceAll(role, "_", " ") }

// ValidIncidentRole reports whether role is one of IncidentRoles.
func ValidIncidentRole(role string) bool {
	for _, r := range IncidentRoles {
		if r == role {
			return true
		}
	}
	return false
}

// IncidentRoleHolder is a role and the person holding it.
type IncidentRoleHolder struct {
	Role       string    `json:"role"`
	UserID     int64     `json:"user_id"`
	UserName   string    `json:"user_name"`
	AssignedBy string    `json:"assigned_by"`
	AssignedAt time.Time `json:"assigned_at"`
}

// IncidentRoleService assigns the roles of an incident.
type IncidentRoleService interface {
	// AssignIncidentRole gives role to user userID (0 clears the role),
	// with a timeline line and an audit entry; the same holder again
	// changes nothing. CodeInvalid (role, user_id), CodeNotFound (the
	// incident, also one the caller may not see).
	AssignIncidentRole(ctx context.Context, incidentID int64, role string, userID int64) ([]*IncidentRoleHolder, error)
	// ListIncidentRoles lists the roles held, in IncidentRoles order.
	// CodeNotFound.
	ListIncidentRoles(ctx context.Context, incidentID int64) ([]*IncidentRoleHolder, error)
}
