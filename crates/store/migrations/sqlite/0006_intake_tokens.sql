-- Mail intake has its own credential: a token that can only post inbound mail, so that no
-- agent's token can add messages in a customer's name.
CREATE TABLE intake_tokens (
    id           INTEGER PRIMARY KEY,
    label        TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
