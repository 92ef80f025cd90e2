-- Runs (issue 11, seed 001): a prompt for one agent of an organization, claimed by the
-- agent's runner under a lease. Each claim mints a new lease token (stored as its
-- SHA-256, like every secret); progress and complete must name the current one
-- (fencing), so a run whose lease lapsed is never completed by two workers. `last_seq`
-- numbers the run's events in the transaction of the change each reports.
ALTER TABLE organizations ADD COLUMN default_agent_id BIGINT NULL REFERENCES agents(id);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    created_by BIGINT NULL REFERENCES users(id),
    prompt TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out')),
    progress_percent BIGINT NULL CHECK (progress_percent BETWEEN 0 AND 100),
    progress_message TEXT NULL,
    result TEXT NULL,
    error TEXT NULL,
    attempt BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_hash TEXT NULL,
    lease_expires_at BIGINT NULL,
    available_at BIGINT NOT NULL,
    cancel_requested_at BIGINT NULL,
    timeout_kind TEXT NULL CHECK (timeout_kind IN ('queue', 'run', 'heartbeat')),
    queue_timeout_ms BIGINT NOT NULL,
    run_timeout_ms BIGINT NOT NULL,
    heartbeat_timeout_ms BIGINT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT NULL,
    finished_at BIGINT NULL,
    updated_at BIGINT NOT NULL
);
-- The claim: an agent's queued runs that are due, oldest first.
CREATE INDEX runs_claim ON runs(agent_id, available_at, id) WHERE status = 'queued';
-- Lists, newest first, and the caps on running runs.
CREATE INDEX runs_org ON runs(org_id, id);
CREATE INDEX runs_org_status ON runs(org_id, status);
-- The reaper: running runs by lease expiry, queued ones by age.
CREATE INDEX runs_lease ON runs(lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_queued_age ON runs(created_at) WHERE status = 'queued';

-- Every attempt of a run, kept.
CREATE TABLE run_attempts (
    run_id BIGINT NOT NULL REFERENCES runs(id),
    attempt BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NULL,
    outcome TEXT NULL,
    error TEXT NULL,
    PRIMARY KEY (run_id, attempt)
);

-- A run's events, numbered from 1 without gaps; kept as long as the run.
CREATE TABLE run_events (
    run_id BIGINT NOT NULL REFERENCES runs(id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
