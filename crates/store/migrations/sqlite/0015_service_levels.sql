-- Service levels: policies with targets in business minutes, each ticket's clocks, and the
-- breaches, recorded once per target and due time.

CREATE TABLE sla_policies (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT NOT NULL,
    priority               TEXT CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    organization_id        INTEGER REFERENCES organizations (id),
    customer_id            INTEGER REFERENCES customers (id),
    first_response_minutes INTEGER,
    next_response_minutes  INTEGER,
    resolution_minutes     INTEGER,
    created_at             TEXT NOT NULL,
    -- A removed policy no longer applies; tickets it was chosen for keep its name in history.
    removed_at             TEXT
);

-- One row per ticket with a policy: when each target falls due (NULL when met, paused or not
-- set) and the resolution clock between changes.
CREATE TABLE ticket_sla (
    ticket_id                INTEGER PRIMARY KEY REFERENCES tickets (id),
    policy_id                INTEGER REFERENCES sla_policies (id),
    first_response_due       TEXT,
    first_response_at        TEXT,
    next_response_due        TEXT,
    resolution_due           TEXT,
    resolution_used_seconds  INTEGER NOT NULL DEFAULT 0,
    resolution_running_since TEXT,
    resolution_met_at        TEXT,
    updated_at               TEXT NOT NULL
);

CREATE TABLE sla_breaches (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    target      TEXT NOT NULL CHECK (target IN ('first_response', 'next_response', 'resolution')),
    due_at      TEXT NOT NULL,
    breached_at TEXT NOT NULL,
    UNIQUE (ticket_id, target, due_at)
);
CREATE INDEX sla_breaches_by_time ON sla_breaches (breached_at);
