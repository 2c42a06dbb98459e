-- The email channel: what each message was as an email, attachments and raw mail kept
-- content-addressed, and a record of every inbound delivery (which makes ingestion idempotent).

ALTER TABLE messages ADD COLUMN email_message_id TEXT;
ALTER TABLE messages ADD COLUMN email_from TEXT;
ALTER TABLE messages ADD COLUMN email_to TEXT;
ALTER TABLE messages ADD COLUMN email_cc TEXT;
ALTER TABLE messages ADD COLUMN quoted_text TEXT;
-- For mail we send: queued, sent or bounced, with a detail for people.
ALTER TABLE messages ADD COLUMN delivery TEXT;
ALTER TABLE messages ADD COLUMN delivery_detail TEXT;
CREATE INDEX messages_by_email_id ON messages (email_message_id);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id),
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL REFERENCES blobs (sha256),
    inline       INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX attachments_by_message ON attachments (message_id);

CREATE TABLE inbound_emails (
    id          INTEGER PRIMARY KEY,
    dedupe_key  TEXT NOT NULL UNIQUE,
    mailbox     TEXT,
    received_at TEXT NOT NULL,
    size        INTEGER NOT NULL,
    raw_sha256  TEXT NOT NULL REFERENCES blobs (sha256),
    outcome     TEXT NOT NULL CHECK (outcome IN ('new_ticket', 'reply', 'auto_reply', 'bounce', 'bulk', 'rejected')),
    reason      TEXT,
    ticket_id   INTEGER REFERENCES tickets (id),
    message_id  INTEGER REFERENCES messages (id)
);
CREATE INDEX inbound_emails_by_outcome ON inbound_emails (outcome, id);

-- Finding a waiting job of the same kind and payload (recomputations are queued once).
CREATE INDEX jobs_waiting_by_kind ON jobs (kind, payload) WHERE done_at IS NULL;
