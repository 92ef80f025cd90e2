-- Member invitations (issue 9): an owner or admin invites an address to join with a role.
-- Only the token's SHA-256 is stored; a resend replaces it (the old link dies). "Expired"
-- is derived from expires_at, never stored. One open invitation per address and org.

CREATE TABLE member_invitations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'member')),
    token_hash TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'cancelled')),
    invited_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_by BIGINT REFERENCES users(id),
    closed_at BIGINT
);
CREATE UNIQUE INDEX member_invitations_open ON member_invitations(org_id, email) WHERE status = 'pending';
CREATE INDEX member_invitations_org ON member_invitations(org_id, id);
