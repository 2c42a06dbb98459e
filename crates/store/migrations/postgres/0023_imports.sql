-- What was brought in from another help desk, and as what: one row per source item (a
-- Zendesk ticket, comment, user, organization, attachment; a CSV row's ticket and message), so
-- an import run twice, or again after it was stopped, adds only what is not here yet. Mail
-- imported from an archive needs no row here: inbound_emails already keeps each mail's key.
CREATE TABLE imported_items (
    source      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    external_id TEXT NOT NULL,
    local_id    BIGINT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (source, kind, external_id)
);
