-- Several `rapport serve` nodes on one database share what used to live in each process.

-- Sign-in tries counted per window: scope 'client' (subject: address and client),
-- 'address' (subject: the address, all clients together) or 'machine' (subject: the client,
-- all addresses together).
CREATE TABLE sign_in_limits (
    scope        TEXT NOT NULL CHECK (scope IN ('client', 'address', 'machine')),
    subject      TEXT NOT NULL,
    window_start TEXT NOT NULL,
    failures     BIGINT NOT NULL,
    PRIMARY KEY (scope, subject)
);

-- Clients an agent signed in from (subject: address and client), exempt from the per-address cap.
CREATE TABLE sign_in_trusted (
    subject    TEXT PRIMARY KEY,
    trusted_at TEXT NOT NULL
);

-- Every node's live-update tail listens on this channel and reads the events table at once
-- instead of waiting for its next poll.
CREATE FUNCTION rapport_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('rapport_events', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION rapport_events_notify();

-- Who has a ticket open on which node (each open page is a connection), renewed by the node
-- while the page stays open; rows of a node that stopped expire.
CREATE TABLE presence (
    connection TEXT PRIMARY KEY,
    node       TEXT NOT NULL,
    ticket_id  BIGINT NOT NULL,
    agent_id   BIGINT NOT NULL,
    name       TEXT NOT NULL,
    composing  BIGINT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX presence_by_node ON presence (node);
