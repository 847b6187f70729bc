-- Private incidents (catalog H8). incident_responders lists the people who
-- acted on an incident (acknowledged, resolved, noted, ...): with the
-- people it paged (notifications.user_id) they are its responders and may
-- see it when it is private. Members of a stakeholder group are people
-- who read as that group; the group marked security sees every private
-- incident.
CREATE TABLE incident_responders (
    incident_id BIGINT  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    user_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_responders_user ON incident_responders (user_id);

CREATE TABLE stakeholder_members (
    group_id BIGINT  NOT NULL REFERENCES stakeholder_groups (id) ON DELETE CASCADE,
    user_id  BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX stakeholder_members_user ON stakeholder_members (user_id);

ALTER TABLE stakeholder_groups ADD COLUMN security BOOLEAN NOT NULL DEFAULT FALSE;
