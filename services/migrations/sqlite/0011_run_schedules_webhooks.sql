-- Runs, second part (issue 11): schedules, completion webhooks, and indexes by agent.
--
-- A scheduled run names its tick: (agent_id, scheduled_for) is unique, so a tick makes at
-- most one run however many instances race it. `agent_schedules` holds each scheduled
-- agent's next tick; an instance takes a tick by a compare-and-swap of `next_at`, in the
-- same transaction as the run's insert.
ALTER TABLE runs ADD COLUMN scheduled_for BIGINT NULL;
CREATE UNIQUE INDEX runs_schedule_tick ON runs(agent_id, scheduled_for) WHERE scheduled_for IS NOT NULL;
-- The list by agent, and the per-agent cap on running runs.
CREATE INDEX runs_agent ON runs(agent_id, id);
CREATE INDEX runs_agent_running ON runs(agent_id) WHERE status = 'running';

CREATE TABLE agent_schedules (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id),
    -- The active variation the schedule was computed from: a deploy starts it afresh.
    variation_id TEXT NOT NULL,
    next_at BIGINT NOT NULL
);

-- An agent's completion webhook. The signing secret is sealed (ChaCha20-Poly1305 under a
-- key derived from the server secret): signing needs it, so it cannot be hashed.
CREATE TABLE agent_webhooks (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id),
    url TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The webhook outbox: written in the transaction that finishes the run, delivered by a
-- worker with retries and backoff; `dead` after the last attempt, until redelivered.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_id BIGINT NOT NULL REFERENCES agents(id),
    run_id BIGINT NOT NULL REFERENCES runs(id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_status BIGINT NULL,
    last_error TEXT NULL,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_agent ON webhook_deliveries(agent_id, status, id);
