-- The relationship memory: the problem lifecycle's timers, promises, moments, calls, tasks,
-- surveys, health, relationship owners and merged customers.

ALTER TABLE customers ADD COLUMN owner_id INTEGER REFERENCES agents (id);
ALTER TABLE customers ADD COLUMN merged_into INTEGER REFERENCES customers (id);
ALTER TABLE tickets ADD COLUMN resolution_proposed_at TEXT;
-- 1 when the customer confirmed the resolution, 0 when it was resolved after silence.
ALTER TABLE tickets ADD COLUMN resolution_confirmed INTEGER;
ALTER TABLE tickets ADD COLUMN closed_reason TEXT;

-- The durable job queue: timers and follow-ups, enqueued in the transaction of the change that
-- causes them and run by the worker in a transaction of their own.
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    run_at     TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);

-- An agent's task list: check-ins, follow-ups, alerts.
CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    agent_id    INTEGER NOT NULL REFERENCES agents (id),
    kind        TEXT NOT NULL,
    ticket_id   INTEGER REFERENCES tickets (id),
    customer_id INTEGER REFERENCES customers (id),
    title       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    done_at     TEXT,
    outcome     TEXT
);
CREATE INDEX tasks_by_agent ON tasks (agent_id, done_at, due_at);
CREATE INDEX tasks_by_customer ON tasks (customer_id);

CREATE TABLE promises (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    ticket_id    INTEGER REFERENCES tickets (id),
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    kind         TEXT NOT NULL CHECK (kind IN ('reply', 'call_back', 'other')),
    what         TEXT NOT NULL,
    channel      TEXT NOT NULL,
    phone        TEXT,
    window_start TEXT,
    due_at       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'kept', 'broken', 'renegotiated')),
    settled_at   TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX promises_by_customer ON promises (customer_id, status);
CREATE INDEX promises_by_ticket ON promises (ticket_id, status);

CREATE TABLE moments (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers (id),
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    note         TEXT NOT NULL,
    follow_up_on TEXT,
    created_at   TEXT NOT NULL
);
CREATE INDEX moments_by_customer ON moments (customer_id);

CREATE TABLE calls (
    id               INTEGER PRIMARY KEY,
    ticket_id        INTEGER REFERENCES tickets (id),
    customer_id      INTEGER NOT NULL REFERENCES customers (id),
    agent_id         INTEGER NOT NULL REFERENCES agents (id),
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    started_at       TEXT NOT NULL,
    duration_seconds INTEGER NOT NULL,
    summary          TEXT NOT NULL,
    agreed           TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX calls_by_customer ON calls (customer_id);

-- "Did this fix it?": one single-use link per answer, stored as digests.
CREATE TABLE resolution_links (
    token_hash  TEXT PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    answer      TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
    proposed_at TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX resolution_links_by_ticket ON resolution_links (ticket_id);

CREATE TABLE surveys (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    ticket_id   INTEGER REFERENCES tickets (id),
    kind        TEXT NOT NULL CHECK (kind IN ('csat', 'nps')),
    token_hash  TEXT NOT NULL UNIQUE,
    sent_at     TEXT NOT NULL,
    answered_at TEXT,
    score       INTEGER,
    comment     TEXT,
    task_id     INTEGER REFERENCES tasks (id)
);
CREATE INDEX surveys_by_customer ON surveys (customer_id, kind);

-- One point per entity per day: the health history.
CREATE TABLE health_points (
    entity     TEXT NOT NULL,
    entity_id  INTEGER NOT NULL,
    day        TEXT NOT NULL,
    score      INTEGER NOT NULL,
    band       TEXT NOT NULL,
    factors    TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id, day)
);
