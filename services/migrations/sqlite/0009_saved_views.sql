-- Saved views (issue 10): a user's named queries of a list (the agent directory's URL
-- query), per organization. A name is unique per user, organization and list; saving
-- under an existing name replaces its query.

CREATE TABLE saved_views (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users(id),
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    list TEXT NOT NULL CHECK (list IN ('agents')),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX saved_views_name ON saved_views(user_id, org_id, list, name);
