-- Policies with reasons: the library (the rule, why it exists, what staff may offer instead,
-- and an optional limit per customer), and the exceptions requested on tickets, decided once
-- by a named supervisor or admin and kept as precedent.

CREATE TABLE policies (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    rationale     TEXT NOT NULL,
    -- A JSON list of strings: what staff may offer instead.
    alternatives  TEXT NOT NULL DEFAULT '[]',
    -- Words that show a reply or a ticket is about this policy (the coach reads them).
    keywords      TEXT NOT NULL DEFAULT '',
    -- At most limit_count approved exceptions per customer in any limit_days days; both or none.
    limit_count   INTEGER,
    limit_days    INTEGER,
    created_by    INTEGER REFERENCES agents (id),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE policy_exceptions (
    id             INTEGER PRIMARY KEY,
    policy_id      INTEGER NOT NULL REFERENCES policies (id),
    ticket_id      INTEGER NOT NULL REFERENCES tickets (id),
    customer_id    INTEGER NOT NULL REFERENCES customers (id),
    requested_by   INTEGER NOT NULL REFERENCES agents (id),
    decider_id     INTEGER NOT NULL REFERENCES agents (id),
    reason         TEXT NOT NULL,
    cost_minor     INTEGER NOT NULL DEFAULT 0,
    currency       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    decided_by     INTEGER REFERENCES agents (id),
    decided_at     TEXT,
    decision_note  TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX policy_exceptions_by_policy ON policy_exceptions (policy_id, created_at);
CREATE INDEX policy_exceptions_by_customer ON policy_exceptions (customer_id, policy_id, status, decided_at);
CREATE INDEX policy_exceptions_by_ticket ON policy_exceptions (ticket_id);
CREATE INDEX policy_exceptions_by_decider ON policy_exceptions (decider_id, status);
