-- Running a team from the browser: agents invited by a mailed link, passwords reset by one,
-- and the replies the team saves for reuse.

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

-- Saved replies: texts agents reuse, with placeholders and actions applied on send. A reply
-- with no owner is shared with everyone; one with an owner is theirs alone.
CREATE TABLE saved_replies (
    id         INTEGER PRIMARY KEY,
    owner_id   INTEGER REFERENCES agents (id),
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    actions    TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES agents (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX saved_replies_by_owner ON saved_replies (owner_id, title);
