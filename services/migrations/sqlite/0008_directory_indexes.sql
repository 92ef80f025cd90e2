-- The directory's filtered lists (issue 10; measured in docs/PERFORMANCE.md, "Agent
-- directory"): an organization's live agents with one status, in name order either way
-- (the id breaks ties, as the keyset cursor does). Without it a `status eq '…'` page
-- sorted by name walked `agents_org_name` and read every other status's rows too.
-- Partial: the list reads live agents unless an admin asks for deleted ones.
CREATE INDEX agents_org_status_name ON agents(org_id, status, name, id) WHERE deleted_at IS NULL;
