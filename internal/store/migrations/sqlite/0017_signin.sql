-- Sign-in: people get a password (argon2id, PHC string), a global role and
-- an optional TOTP second factor. The hash and the TOTP secret never leave
-- the store through vigil.User.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'responder';
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Web sessions live in the database so every replica sees a sign-out at
-- once. Only the SHA-256 of the cookie value is stored. A pending session
-- has passed the password and waits for its TOTP code.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash   TEXT    NOT NULL UNIQUE,
    pending       INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    idle_until    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    user_agent    TEXT    NOT NULL,
    address       TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- One-time password reset links issued by an admin.
CREATE TABLE password_resets (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);

-- Failed sign-ins, counted per account and per client address over a
-- window so throttling holds across replicas.
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    account TEXT    NOT NULL,
    address TEXT    NOT NULL,
    at      BIGINT  NOT NULL
);
CREATE INDEX login_failures_account ON login_failures (account, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- First-run setup: one row once the first admin exists; the primary key
-- makes two concurrent setups fail one of them.
CREATE TABLE setup_done (
    id      INTEGER NOT NULL PRIMARY KEY,
    done_at BIGINT  NOT NULL
);
