-- Webhooks: subscriptions an admin keeps (an address, a secret we generated, the event types
-- chosen), one delivery per event per subscription (its body fixed when queued, so a retry sends
-- the same bytes), and every attempt with the receiver's answer.

CREATE TABLE webhook_subscriptions (
    id          INTEGER PRIMARY KEY,
    url         TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret      TEXT NOT NULL,
    -- The chosen event types, comma-separated (`ticket.created,message.added`).
    event_types TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    created_by  INTEGER REFERENCES agents (id),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (subscription_id, id);
-- The metrics count the deliveries still pending at every scrape: a look-up, not a read of all.
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (status);

CREATE TABLE webhook_attempts (
    id               INTEGER PRIMARY KEY,
    delivery_id      INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     TEXT NOT NULL,
    -- The receiver's HTTP status; none when it could not be reached or did not answer in time.
    response_status  INTEGER,
    duration_ms      INTEGER NOT NULL,
    -- The first part of the receiver's answer (at most 1,000 characters).
    response_excerpt TEXT NOT NULL DEFAULT '',
    error            TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
