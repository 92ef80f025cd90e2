-- The agent directory (issue 10, seeds 002 and 003). An agent is now also a definition:
-- it may exist before it has an identity (registration NULL, no keys, no seat), has a
-- slug unique among its organization's live agents, a lifecycle status, a type fixed at
-- creation, an access configuration, and variations (one draft, deployed versions).
--
-- SQLite cannot drop a NOT NULL constraint, so `agents` is rebuilt. sqlx runs a SQLite
-- migration inside a transaction, where `PRAGMA foreign_keys` cannot change; instead the
-- old table is renamed with `legacy_alter_table` on, so the other tables' REFERENCES
-- agents(id) keep naming `agents` (the new table, same ids) and dropping the old one
-- touches no foreign key.
PRAGMA legacy_alter_table = ON;
ALTER TABLE agents RENAME TO agents_old;
CREATE TABLE agents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    org_id BIGINT REFERENCES organizations(id),
    owner_id BIGINT REFERENCES users(id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- NULL: a definition without an identity yet (created with POST /api/agents).
    registration TEXT CHECK (registration IN ('pending_invite', 'registered', 'revoked')),
    holds_seat BIGINT NOT NULL DEFAULT 0,
    public_key TEXT UNIQUE,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    revoked_at BIGINT,
    slug TEXT NOT NULL,
    email TEXT,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'deleted')),
    type TEXT NOT NULL DEFAULT 'task' CHECK (type IN ('task', 'workflow')),
    source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'sync')),
    enabled BIGINT NOT NULL DEFAULT 1,
    schedule_enabled BIGINT NOT NULL DEFAULT 0,
    -- JSON: {"use": {"roles": [...], "users": [...]}, "manage": {...}}.
    access_config TEXT NOT NULL DEFAULT '{"use":{"roles":["owner","admin","operator","member"],"users":[]},"manage":{"roles":["owner","admin","operator"],"users":[]}}',
    active_variation_id TEXT,
    draft_variation_id TEXT,
    deleted_at BIGINT,
    -- Bumped by every change to the agent, its draft or its transfers: the ETag's version.
    revision BIGINT NOT NULL DEFAULT 1
);
INSERT INTO agents (id, uuid, org_id, owner_id, name, description, registration, holds_seat, public_key,
                        metadata, created_at, updated_at, revoked_at, slug, email)
SELECT a.id, a.uuid, a.org_id, a.owner_id, a.name, a.description, a.registration, a.holds_seat, a.public_key,
       a.metadata, a.created_at, a.updated_at, a.revoked_at, 'agent-' || a.id,
       (SELECT i.email FROM invites i WHERE i.agent_id = a.id ORDER BY i.id DESC LIMIT 1)
FROM agents_old a;
-- Ids are never reused: the new table continues the old one's sequence.
INSERT INTO sqlite_sequence (name, seq) SELECT 'agents', seq FROM sqlite_sequence WHERE name = 'agents_old'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'agents');
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'agents_old') WHERE name = 'agents'
    AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'agents_old');
DROP TABLE agents_old;
PRAGMA legacy_alter_table = OFF;
CREATE INDEX agents_org ON agents(org_id, id);

-- A slug is unique among an organization's live agents; a soft delete frees it.
CREATE UNIQUE INDEX agents_slug ON agents(org_id, slug) WHERE deleted_at IS NULL;
-- The directory's common orders, as keysets (the tie-breaker is the id).
CREATE INDEX agents_org_name ON agents(org_id, name, id);
CREATE INDEX agents_org_created ON agents(org_id, created_at, id);
CREATE INDEX agents_org_updated ON agents(org_id, updated_at, id);
CREATE INDEX agents_org_email ON agents(org_id, email);

-- An agent's definitions. The draft has no number; each deploy freezes the draft as the
-- next number (immutable from then on).
CREATE TABLE agent_variations (
    id TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    number BIGINT,
    -- Canonical JSON {trigger, workflowStructure, agentSelection}.
    definition TEXT NOT NULL,
    name TEXT,
    notes TEXT,
    created_by BIGINT REFERENCES users(id),
    deployed_by BIGINT REFERENCES users(id),
    deployed_at BIGINT,
    -- The version a draft was restored from, if any.
    restored_from TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX agent_variations_number ON agent_variations(agent_id, number);

-- Ownership transfers that the recipient accepts (GitHub, Gitea). At most one pending
-- per agent; a pending one past expires_at is expired.
CREATE TABLE agent_transfers (
    id TEXT PRIMARY KEY,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    from_user_id BIGINT REFERENCES users(id),
    to_user_id BIGINT NOT NULL REFERENCES users(id),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    message TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    resolved_at BIGINT,
    resolved_by BIGINT REFERENCES users(id)
);
CREATE UNIQUE INDEX agent_transfers_pending ON agent_transfers(agent_id) WHERE status = 'pending';
CREATE INDEX agent_transfers_to ON agent_transfers(to_user_id, status);

-- Idempotency-Key (DESIGN section 5): the same key and body return the stored response.
CREATE TABLE idempotency_keys (
    -- Who and what: "user:42:create_agent".
    scope TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    -- SHA-256 hex of the canonical request body.
    body_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);

