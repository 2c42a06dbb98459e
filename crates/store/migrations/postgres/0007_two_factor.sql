-- Two-factor sign-in for agents. An agent's TOTP secret (kept as base32, as the app has it),
-- on once a code from it was given (enabled_at), with the last time step a code was used in
-- so that no code signs in twice.
CREATE TABLE two_factor (
    agent_id       BIGINT PRIMARY KEY REFERENCES agents (id),
    secret         TEXT NOT NULL,
    enabled_at     TEXT,
    last_used_step BIGINT,
    created_at     TEXT NOT NULL
);

-- Single-use recovery codes, stored as digests only.
CREATE TABLE recovery_codes (
    agent_id  BIGINT NOT NULL REFERENCES agents (id),
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (agent_id, code_hash)
);

-- Sign-ins whose password was right and that wait for their second step (a code, or setting
-- two-factor sign-in up when the workspace requires it). The secret is in the browser's cookie
-- or the API client's hands; only its digest is here.
CREATE TABLE pending_sign_ins (
    id_hash    TEXT PRIMARY KEY,
    agent_id   BIGINT NOT NULL REFERENCES agents (id),
    step       TEXT NOT NULL CHECK (step IN ('code', 'enroll')),
    via        TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    expires_at TEXT NOT NULL
);
CREATE INDEX pending_sign_ins_by_agent ON pending_sign_ins (agent_id);
