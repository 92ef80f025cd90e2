-- The agent directory (issue 10, seeds 002 and 003). An agent is now also a definition:
-- it may exist before it has an identity (registration NULL, no keys, no seat), has a
-- slug unique among its organization's live agents, a lifecycle status, a type fixed at
-- creation, an access configuration, and variations (one draft, deployed versions).
ALTER TABLE agents ALTER COLUMN registration DROP NOT NULL;
ALTER TABLE agents ADD COLUMN slug TEXT;
UPDATE agents SET slug = 'agent-' || id;
ALTER TABLE agents ALTER COLUMN slug SET NOT NULL;
ALTER TABLE agents ADD COLUMN email TEXT;
UPDATE agents a SET email = (SELECT i.email FROM invites i WHERE i.agent_id = a.id ORDER BY i.id DESC LIMIT 1);
ALTER TABLE agents ADD COLUMN status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'deleted'));
ALTER TABLE agents ADD COLUMN type TEXT NOT NULL DEFAULT 'task' CHECK (type IN ('task', 'workflow'));
ALTER TABLE agents ADD COLUMN source TEXT NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'sync'));
ALTER TABLE agents ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;
ALTER TABLE agents ADD COLUMN schedule_enabled BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN access_config TEXT NOT NULL DEFAULT '{"use":{"roles":["owner","admin","operator","member"],"users":[]},"manage":{"roles":["owner","admin","operator"],"users":[]}}';
ALTER TABLE agents ADD COLUMN active_variation_id TEXT;
ALTER TABLE agents ADD COLUMN draft_variation_id TEXT;
ALTER TABLE agents ADD COLUMN deleted_at BIGINT;
ALTER TABLE agents ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;

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
