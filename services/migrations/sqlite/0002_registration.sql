-- Agent registration (seed 000): PoW challenges, agent keys, delegated tokens, invites,
-- and the email outbox. Secrets are stored only as SHA-256 hex hashes.

CREATE TABLE challenges (
    -- The token's UUID, hyphenated lowercase.
    id TEXT PRIMARY KEY,
    -- The signed token itself: public, not a secret (HMAC-protected).
    token TEXT NOT NULL,
    -- NULL for invite challenges.
    owner_id BIGINT REFERENCES users(id),
    org_id BIGINT REFERENCES organizations(id),
    difficulty BIGINT NOT NULL,
    k BIGINT NOT NULL,
    ip_prefix TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once, by one atomic conditional UPDATE: this is what enforces single use.
    used_at BIGINT
);
CREATE INDEX challenges_expires ON challenges(expires_at);

CREATE TABLE agent_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    key_hash TEXT NOT NULL UNIQUE,
    -- First characters of the key, for display ("agk_AbCd…").
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Set when a newer key replaces this one: the end of the grace period.
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX agent_keys_agent ON agent_keys(agent_id);

CREATE TABLE delegated_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    name_prefix TEXT,
    max_difficulty BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    agent_id BIGINT REFERENCES agents(id)
);
CREATE INDEX delegated_tokens_user ON delegated_tokens(user_id);

CREATE TABLE invites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    -- The organization the agent will join; NULL when the address has no account yet.
    org_id BIGINT REFERENCES organizations(id),
    -- Lower-cased recipient address.
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'claimed', 'cancelled')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    resent_at BIGINT,
    resend_count BIGINT NOT NULL DEFAULT 0,
    claimed_at BIGINT,
    claimed_by BIGINT REFERENCES users(id),
    cancelled_at BIGINT,
    cancel_reason TEXT
);
CREATE INDEX invites_email ON invites(email, id);
CREATE INDEX invites_org ON invites(org_id, id);
CREATE INDEX invites_agent ON invites(agent_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT REFERENCES organizations(id),
    kind TEXT NOT NULL,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- The body is sealed (ChaCha20-Poly1305 under a key derived from the server secret)
    -- because it can carry a one-time link; it is wiped once SMTP delivery succeeds.
    body_sealed TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'stored')),
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE INDEX outbox_to ON outbox(to_addr, id);
