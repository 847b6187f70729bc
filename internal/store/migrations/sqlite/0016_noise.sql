-- Responders' verdict on an incident: was it noise or actionable? One row
-- per incident that has one; clearing the verdict deletes the row (the
-- timeline keeps the history).
CREATE TABLE incident_feedback (
    incident_id INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    verdict     TEXT    NOT NULL,
    set_by      TEXT    NOT NULL,
    set_at      INTEGER NOT NULL
);

-- The noise report counts alerts by when they were first seen, and looks
-- for an incident of the same group that resolved just before another.
CREATE INDEX alerts_first_seen ON alerts (first_seen);
CREATE INDEX incidents_group_resolved ON incidents (service_id, group_key, resolved_at);
