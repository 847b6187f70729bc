-- Outcomes of asynchronous ingest requests (Opsgenie's requestId), so any
-- replica can answer GET /v2/alerts/requests/{id}. Rows can be pruned by
-- processed_at (not done yet).
CREATE TABLE ingest_requests (
    id                 TEXT    NOT NULL PRIMARY KEY,
    integration_key_id BIGINT  NOT NULL REFERENCES integration_keys (id) ON DELETE CASCADE,
    action             TEXT    NOT NULL,
    success            BOOLEAN NOT NULL,
    status             TEXT    NOT NULL,
    alert_id           BIGINT,
    alias              TEXT    NOT NULL DEFAULT '',
    processed_at       BIGINT  NOT NULL
);
CREATE INDEX ingest_requests_processed_at ON ingest_requests (processed_at);
CREATE INDEX ingest_requests_key ON ingest_requests (integration_key_id);
