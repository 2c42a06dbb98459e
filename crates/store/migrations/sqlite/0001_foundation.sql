-- The foundation: staff, customers, organizations, tickets, messages and the audit trail.
-- Times are UTC text in one fixed format (2026-11-23T12:25:15.123456Z), so that ordering and
-- comparison are plain string comparison on both backends.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE agents (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'agent')),
    reports_to     INTEGER REFERENCES agents (id),
    password_hash  TEXT,
    deactivated_at TEXT,
    created_at     TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents (id),
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_by_agent ON sessions (agent_id);

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE team_members (
    team_id  INTEGER NOT NULL REFERENCES teams (id),
    agent_id INTEGER NOT NULL REFERENCES agents (id),
    PRIMARY KEY (team_id, agent_id)
);

CREATE TABLE organizations (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    relationship_kind TEXT NOT NULL CHECK (relationship_kind IN ('transactional', 'partnership')),
    owner_id          INTEGER REFERENCES agents (id),
    created_at        TEXT NOT NULL
);

CREATE TABLE organization_domains (
    domain          TEXT PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id)
);
CREATE INDEX organization_domains_by_organization ON organization_domains (organization_id);

CREATE TABLE customers (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    organization_id INTEGER REFERENCES organizations (id),
    created_at      TEXT NOT NULL
);
CREATE INDEX customers_by_organization ON customers (organization_id, id);

CREATE TABLE customer_emails (
    email       TEXT PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    created_at  TEXT NOT NULL
);
CREATE INDEX customer_emails_by_customer ON customer_emails (customer_id);

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    subject         TEXT NOT NULL,
    customer_id     INTEGER NOT NULL REFERENCES customers (id),
    organization_id INTEGER REFERENCES organizations (id),
    team_id         INTEGER REFERENCES teams (id),
    assignee_id     INTEGER REFERENCES agents (id),
    priority        TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    conversation    TEXT NOT NULL CHECK (conversation IN ('new', 'waiting_on_us', 'waiting_on_customer', 'on_hold')),
    problem         TEXT NOT NULL CHECK (problem IN ('open', 'resolution_proposed', 'resolved', 'closed_unresolved')),
    channel         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX tickets_by_conversation ON tickets (conversation, id);
CREATE INDEX tickets_by_problem ON tickets (problem, id);
CREATE INDEX tickets_by_assignee ON tickets (assignee_id, id);
CREATE INDEX tickets_by_customer ON tickets (customer_id, id);
CREATE INDEX tickets_by_organization ON tickets (organization_id, id);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL REFERENCES tickets (id),
    tag       TEXT NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_by_tag ON ticket_tags (tag, ticket_id);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    ticket_id          INTEGER NOT NULL REFERENCES tickets (id),
    author_kind        TEXT NOT NULL CHECK (author_kind IN ('customer', 'agent', 'system')),
    author_agent_id    INTEGER REFERENCES agents (id),
    author_customer_id INTEGER REFERENCES customers (id),
    channel            TEXT NOT NULL CHECK (channel IN ('email', 'portal', 'phone', 'chat', 'api', 'note')),
    visibility         TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    body_text          TEXT NOT NULL,
    body_html          TEXT NOT NULL,
    created_at         TEXT NOT NULL
);
CREATE INDEX messages_by_ticket ON messages (ticket_id, id);

-- Append-only: rows are inserted and read, never updated or deleted.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('agent', 'customer', 'system')),
    actor_id   INTEGER,
    entity     TEXT NOT NULL,
    entity_id  INTEGER NOT NULL,
    action     TEXT NOT NULL,
    changes    TEXT NOT NULL
);
CREATE INDEX events_by_entity ON events (entity, entity_id, id);
