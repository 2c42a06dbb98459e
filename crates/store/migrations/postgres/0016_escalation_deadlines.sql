-- Escalations with names and deadlines: what sent the case up, by when the named manager must
-- acknowledge it (else it goes one level up the reporting line), and who did.
ALTER TABLE escalations ADD COLUMN source TEXT NOT NULL DEFAULT 'portal';
ALTER TABLE escalations ADD COLUMN acknowledge_by TEXT;
ALTER TABLE escalations ADD COLUMN acknowledged_at TEXT;
ALTER TABLE escalations ADD COLUMN acknowledged_by BIGINT REFERENCES agents (id);
ALTER TABLE escalations ADD COLUMN level BIGINT NOT NULL DEFAULT 0;
CREATE INDEX escalations_by_manager ON escalations (manager_id, resolved_at, acknowledge_by);
