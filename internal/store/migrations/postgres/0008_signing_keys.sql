-- Signing keys: random secrets Vigil makes for itself, one per purpose
-- (the acknowledge/resolve links in messages, calendar feed URLs). Every
-- replica reads the same key; the first to need one inserts it and the
-- others keep the stored row (INSERT ... ON CONFLICT DO NOTHING). The key
-- is base64 text so both databases store it alike.
CREATE TABLE signing_keys (
    name       TEXT   NOT NULL PRIMARY KEY,
    secret     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- Inbound replies (an SMS "ack 42", a Slack button) find the person by the
-- address they wrote from.
CREATE INDEX contact_methods_address ON contact_methods (address);
