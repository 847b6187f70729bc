-- Change events (PagerDuty's POST /v2/change/enqueue): deploys and other
-- changes of a service, shown next to its incidents. timestamp is when the
-- change happened (the sender's, else received_at); times are unix micros.
CREATE TABLE change_events (
    id                 INTEGER PRIMARY KEY,
    service_id         INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    integration_key_id INTEGER,
    summary            TEXT    NOT NULL,
    source             TEXT    NOT NULL DEFAULT '',
    timestamp          INTEGER NOT NULL,
    received_at        INTEGER NOT NULL,
    details            TEXT,
    links              TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX change_events_service_timestamp ON change_events (service_id, timestamp);
