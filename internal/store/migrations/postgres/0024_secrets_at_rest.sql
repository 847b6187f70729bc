-- Secrets at rest. From this version the secret columns (signing_keys.secret,
-- users.totp_secret, the Teams and webhook addresses in contact_methods and
-- notifications, stakeholder_groups.channels) hold values sealed with
-- AES-256-GCM under a configured key: "vgs1:<key id>:<base64>". Encryption
-- needs the key, which SQL does not have, so the store converts the rows
-- still in plaintext right after migrating (store.sealOnOpen), and records
-- here, per column, the key that sealed all of it last and when.
CREATE TABLE secret_seals (
    column_name TEXT   NOT NULL PRIMARY KEY,
    key_id      TEXT   NOT NULL,
    sealed_at   BIGINT NOT NULL
);
