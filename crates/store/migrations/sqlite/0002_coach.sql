-- The coach and the insight: what Rapport read in each message, and the reviews of agents'
-- replies kept in a form that can be counted for coaching trends.

ALTER TABLE messages ADD COLUMN insight TEXT;
ALTER TABLE messages ADD COLUMN review TEXT;
ALTER TABLE tickets ADD COLUMN insight TEXT;

CREATE TABLE reply_reviews (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id),
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    score      INTEGER,
    created_at TEXT NOT NULL
);
CREATE INDEX reply_reviews_by_agent ON reply_reviews (agent_id, created_at);

CREATE TABLE reply_findings (
    id         INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id),
    agent_id   INTEGER NOT NULL REFERENCES agents (id),
    kind       TEXT NOT NULL,
    severity   TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'serious')),
    created_at TEXT NOT NULL
);
CREATE INDEX reply_findings_by_agent ON reply_findings (agent_id, created_at);
