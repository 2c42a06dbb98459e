-- The browser: restricted teams, the customer portal's sign-in links and sessions, requests
-- for a manager and letters to management.

-- A restricted team's tickets are seen only by its members and admins.
ALTER TABLE teams ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
-- Customers of an organization see each other's tickets in the portal when this is 1.
ALTER TABLE organizations ADD COLUMN portal_shared INTEGER NOT NULL DEFAULT 0;

CREATE TABLE portal_links (
    token_hash  TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX portal_links_by_customer ON portal_links (customer_id);

CREATE TABLE customer_sessions (
    id_hash      TEXT PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX customer_sessions_by_customer ON customer_sessions (customer_id);

-- A customer asked for a manager: who had the case, whom it went to, and when it was answered.
CREATE TABLE escalations (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id),
    customer_id   INTEGER NOT NULL REFERENCES customers (id),
    reason        TEXT NOT NULL,
    handler_id    INTEGER REFERENCES agents (id),
    manager_id    INTEGER REFERENCES agents (id),
    created_at    TEXT NOT NULL,
    resolved_at   TEXT
);
CREATE INDEX escalations_open ON escalations (resolved_at, ticket_id);

-- Feedback addressed to management, routed to the top of the handler's chain.
CREATE TABLE letters (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    ticket_id    INTEGER REFERENCES tickets (id),
    addressed_to INTEGER REFERENCES agents (id),
    subject      TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX letters_by_customer ON letters (customer_id);
