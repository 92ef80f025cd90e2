-- Foundation: organizations, users, memberships, sessions, user API keys, rate limits,
-- settings, audit log, and the agents table later issues extend.
-- Timestamps are unix milliseconds (BIGINT) so both backends share one codec.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    seat_limit BIGINT NOT NULL,
    seats_used BIGINT NOT NULL DEFAULT 0 CHECK (seats_used >= 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'member')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    name TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_user ON api_keys(user_id);

CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT,
    actor_user_id BIGINT,
    action TEXT NOT NULL,
    object_type TEXT,
    object_id TEXT,
    ip TEXT,
    detail TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);

CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    -- NULL only while an invite to an address without an account is pending.
    org_id BIGINT REFERENCES organizations(id),
    owner_id BIGINT REFERENCES users(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    registration TEXT NOT NULL CHECK (registration IN ('pending_invite', 'registered', 'revoked')),
    -- 1 while the agent holds a seat in org_id (pending invite or registered, not revoked).
    holds_seat BIGINT NOT NULL DEFAULT 0,
    public_key TEXT UNIQUE,
    -- JSON object: registration mode, invite cancel reason, revoke reason, ...
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX agents_org ON agents(org_id, id);
