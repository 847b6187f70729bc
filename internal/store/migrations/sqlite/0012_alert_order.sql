-- An incident's alerts newest first (the incident page, GET /incidents/{id})
-- read from the index in order instead of sorting every alert of the
-- incident: an incident of 10,000 alerts sorted them all to show 100.
CREATE INDEX alerts_incident_order ON alerts (incident_id, id);
