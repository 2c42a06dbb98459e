-- Complaints and their recovery: what the customer complained of, the actions taken to make it
-- right (each with its cost in minor units of a currency), and how it ended.

CREATE TABLE complaints (
    id               INTEGER PRIMARY KEY,
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    ticket_id        INTEGER REFERENCES tickets (id),
    cause            TEXT NOT NULL CHECK (cause IN ('service', 'product', 'policy', 'staff')),
    staff_agent_id   INTEGER REFERENCES agents (id),
    severity         TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    channel          TEXT NOT NULL CHECK (channel IN ('letter', 'email', 'phone', 'portal')),
    incident         TEXT NOT NULL,
    staff_account    TEXT NOT NULL DEFAULT '',
    outcome          TEXT CHECK (outcome IN ('recovered', 'partly', 'lost')),
    recovered_at     TEXT,
    opened_by        INTEGER REFERENCES agents (id),
    opened_at        TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX complaints_by_customer ON complaints (customer_id);
CREATE INDEX complaints_by_ticket ON complaints (ticket_id);
CREATE INDEX complaints_by_time ON complaints (opened_at);

CREATE TABLE recovery_actions (
    id            INTEGER PRIMARY KEY,
    complaint_id  INTEGER NOT NULL REFERENCES complaints (id),
    kind          TEXT NOT NULL CHECK (kind IN ('apology', 'fix', 'refund', 'credit', 'replacement', 'policy_exception', 'manager_call')),
    agent_id      INTEGER REFERENCES agents (id),
    done_at       TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    cost_minor    INTEGER NOT NULL DEFAULT 0,
    currency      TEXT NOT NULL DEFAULT 'EUR',
    created_at    TEXT NOT NULL
);
CREATE INDEX recovery_actions_by_complaint ON recovery_actions (complaint_id);
