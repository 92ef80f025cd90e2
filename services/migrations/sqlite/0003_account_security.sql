-- Account security (issue 9): when each session was last used (shown on the account
-- page), and single-use password reset tokens (only their SHA-256 is stored).

ALTER TABLE sessions ADD COLUMN last_used_at BIGINT;

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set once, by one conditional UPDATE: this is what makes a link single use.
    used_at BIGINT
);
CREATE INDEX password_resets_user ON password_resets(user_id);
