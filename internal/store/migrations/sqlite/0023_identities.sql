-- Single sign-on: a person signed in through an OpenID Connect provider is
-- known by the provider's (issuer, subject) pair, which never changes even
-- when their e-mail does. One user may have several identities.
CREATE TABLE user_identities (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issuer          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    email           TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    last_sign_in_at BIGINT  NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
