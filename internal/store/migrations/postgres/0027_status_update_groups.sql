-- The stakeholder groups a status update told about an incident, one row
-- per incident and group: a stakeholder in the group may read the
-- incident (store/visibility.go). The timeline entry keeps the names as
-- they were; this keeps the IDs for the visibility check.
CREATE TABLE status_update_groups (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    group_id    BIGINT NOT NULL REFERENCES stakeholder_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, group_id)
);
CREATE INDEX status_update_groups_group ON status_update_groups (group_id);

-- Updates posted before this table existed: their groups by name.
INSERT INTO status_update_groups (incident_id, group_id)
SELECT DISTINCT t.incident_id, g.id
FROM timeline t
CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(t.data::jsonb -> 'groups') = 'array' THEN t.data::jsonb -> 'groups' ELSE '[]'::jsonb END) AS j(name)
JOIN stakeholder_groups g ON g.name = j.name
WHERE t.kind = 'status_update' AND t.data IS NOT NULL AND t.data <> ''
ON CONFLICT DO NOTHING;
