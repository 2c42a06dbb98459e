-- Letters to management must be answered: by when (business time of the workspace calendar),
-- else they go one level up; who answered and how; and a letter that thanks someone reaches
-- the staff member it is about and shows on their coaching report.
ALTER TABLE letters ADD COLUMN answer_by TEXT;
ALTER TABLE letters ADD COLUMN answered_at TEXT;
ALTER TABLE letters ADD COLUMN answered_by INTEGER REFERENCES agents (id);
ALTER TABLE letters ADD COLUMN answer TEXT;
ALTER TABLE letters ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE letters ADD COLUMN about_agent_id INTEGER REFERENCES agents (id);
ALTER TABLE letters ADD COLUMN compliment INTEGER NOT NULL DEFAULT 0;
CREATE INDEX letters_by_addressee ON letters (addressed_to, answered_at, answer_by);
CREATE INDEX letters_compliments ON letters (about_agent_id, compliment, created_at);
