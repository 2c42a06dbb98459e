-- Notifications for agents: what happened that concerns them (assigned to them, a customer
-- replied on their ticket, a promise of theirs is due, a request for a manager reached them),
-- written in the same transaction as the change that caused it. `text` is a short sentence
-- in words; the ticket's subject is read from the ticket when shown.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    kind       TEXT NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_by_agent ON notifications (agent_id, id);
CREATE INDEX notifications_unread ON notifications (agent_id) WHERE read_at IS NULL;
-- The newest read time, which live pages on every node watch to update their counts.
CREATE INDEX notifications_read ON notifications (read_at);

-- An agent's choices per kind, in the page and by mail; a kind without a row follows the
-- defaults (rapport_domain::notification).
CREATE TABLE notification_settings (
    agent_id INTEGER NOT NULL REFERENCES agents (id),
    kind     TEXT NOT NULL,
    in_page  INTEGER NOT NULL,
    by_mail  INTEGER NOT NULL,
    PRIMARY KEY (agent_id, kind)
);
