-- Running a team from the browser: agents invited by a mailed link, passwords reset by one.

-- A single-use link that lets an agent set their password: an invitation ('invite') or a
-- reset asked for on the sign-in page ('password_reset'). Only the token's digest is kept.
CREATE TABLE agent_links (
    id         INTEGER PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('invite', 'password_reset')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX agent_links_by_agent ON agent_links (agent_id, created_at);
