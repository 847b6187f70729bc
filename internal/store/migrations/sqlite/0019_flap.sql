-- Flap control: the recent state changes of each (service, dedup key),
-- kept across the alert rows of its firings. changes is a JSON list of unix
-- micros (oldest first, at most the policy's limit plus one). While
-- flapping, the incident stays open (incident_id) and re-fires join it
-- without paging; settles_at is when it will have been quiet long enough.
CREATE TABLE alert_flaps (
    service_id  INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    dedup_key   TEXT    NOT NULL,
    changes     TEXT    NOT NULL DEFAULT '[]',
    flapping    INTEGER NOT NULL DEFAULT 0,
    incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL,
    settles_at  INTEGER,
    PRIMARY KEY (service_id, dedup_key)
);
CREATE INDEX alert_flaps_settle ON alert_flaps (settles_at) WHERE flapping;
