-- Tamper-evident audit log (issue 9). Rows are written unsealed (hash NULL) in the
-- transaction of the change they record, so writers never contend on a chain head. A
-- sealer appends them to their organization's chain: it locks the audit_chains row
-- (org_key = org_id, or 0 for events of no organization), numbers the rows (chain_seq)
-- and stores SHA-256 over the previous row's hash and the row's canonical JSON.

ALTER TABLE audit_log ADD COLUMN user_agent TEXT;
ALTER TABLE audit_log ADD COLUMN reason TEXT;
ALTER TABLE audit_log ADD COLUMN chain_seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

CREATE TABLE audit_chains (
    org_key BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    head TEXT NOT NULL
);

CREATE INDEX audit_log_unsealed ON audit_log(id) WHERE hash IS NULL;
CREATE UNIQUE INDEX audit_log_chain ON audit_log(org_id, chain_seq);
