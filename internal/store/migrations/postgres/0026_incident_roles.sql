-- Incident roles (incident manager, communications lead, tech lead,
-- engineering manager): at most one holder per role and incident. A holder
-- is also written to incident_responders, so they see a private incident.
CREATE TABLE incident_roles (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_by TEXT    NOT NULL,
    assigned_at BIGINT NOT NULL,
    PRIMARY KEY (incident_id, role)
);
CREATE INDEX incident_roles_user ON incident_roles (user_id);
