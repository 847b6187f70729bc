-- The messages not yet finished, by incident and destination. A claim
-- skips a message while an earlier one of the same incident to the same
-- contact method is open (a destination gets an incident's messages in
-- order); this index answers that from the few open rows, where the other
-- indexes on notifications would read every message of the incident or
-- every message the contact method ever got.
CREATE INDEX notifications_open ON notifications (incident_id, contact_method_id, id)
    WHERE status IN ('pending', 'sending', 'bundled');
