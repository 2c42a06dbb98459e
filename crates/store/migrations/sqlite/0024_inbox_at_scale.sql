-- The inbox at a million tickets. Each ticket view reads an index in its own order and stops
-- at its page, whatever the size of the workspace:
--
-- * what a ticket's line is owed by is kept on the ticket, by triggers in the transaction of
--   the write that changes it (whichever code path writes it: intake, the API, the portal,
--   merges, erasure, imports): `promised_by`, the earliest open promise on the ticket, and
--   `customer_wrote_at`, the customer's latest message. "Most owed first" orders by
--   COALESCE(promised_by, customer_wrote_at, updated_at).
-- * the views list unfinished tickets only (problem open or resolution proposed), so their
--   indexes are partial: they hold those tickets alone, a tenth or so of a help desk's.
ALTER TABLE tickets ADD COLUMN promised_by TEXT;
ALTER TABLE tickets ADD COLUMN customer_wrote_at TEXT;

UPDATE tickets SET
    promised_by = (SELECT MIN(p.due_at) FROM promises p WHERE p.ticket_id = tickets.id AND p.status = 'open'),
    customer_wrote_at = (SELECT MAX(m.created_at) FROM messages m
                         WHERE m.ticket_id = tickets.id AND m.author_kind = 'customer');

CREATE TRIGGER tickets_owed_message_added AFTER INSERT ON messages
WHEN NEW.author_kind = 'customer' BEGIN
    UPDATE tickets SET customer_wrote_at = NEW.created_at
    WHERE id = NEW.ticket_id AND (customer_wrote_at IS NULL OR customer_wrote_at < NEW.created_at);
END;
CREATE TRIGGER tickets_owed_message_changed AFTER UPDATE OF ticket_id, author_kind, created_at ON messages BEGIN
    UPDATE tickets SET customer_wrote_at = (SELECT MAX(m.created_at) FROM messages m
                                            WHERE m.ticket_id = tickets.id AND m.author_kind = 'customer')
    WHERE id IN (OLD.ticket_id, NEW.ticket_id);
END;
CREATE TRIGGER tickets_owed_message_removed AFTER DELETE ON messages
WHEN OLD.author_kind = 'customer' BEGIN
    UPDATE tickets SET customer_wrote_at = (SELECT MAX(m.created_at) FROM messages m
                                            WHERE m.ticket_id = tickets.id AND m.author_kind = 'customer')
    WHERE id = OLD.ticket_id;
END;

CREATE TRIGGER tickets_owed_promise_added AFTER INSERT ON promises
WHEN NEW.ticket_id IS NOT NULL BEGIN
    UPDATE tickets SET promised_by = (SELECT MIN(p.due_at) FROM promises p
                                      WHERE p.ticket_id = tickets.id AND p.status = 'open')
    WHERE id = NEW.ticket_id;
END;
CREATE TRIGGER tickets_owed_promise_changed AFTER UPDATE OF ticket_id, status, due_at ON promises BEGIN
    UPDATE tickets SET promised_by = (SELECT MIN(p.due_at) FROM promises p
                                      WHERE p.ticket_id = tickets.id AND p.status = 'open')
    WHERE id IN (OLD.ticket_id, NEW.ticket_id);
END;
CREATE TRIGGER tickets_owed_promise_removed AFTER DELETE ON promises
WHEN OLD.ticket_id IS NOT NULL BEGIN
    UPDATE tickets SET promised_by = (SELECT MIN(p.due_at) FROM promises p
                                      WHERE p.ticket_id = tickets.id AND p.status = 'open')
    WHERE id = OLD.ticket_id;
END;

-- A problem or conversation state is shared by a large part of all tickets: indexes on them
-- alone mislead the planner into reading all those tickets and sorting them, where the views'
-- indexes below read a page in order.
DROP INDEX tickets_by_conversation;
DROP INDEX tickets_by_problem;

-- The views' indexes. The WHERE of each must read exactly as the inbox's query writes its
-- conditions (crates/store/src/inbox.rs), or the database will not use it.
CREATE INDEX tickets_unfinished_by_update ON tickets (updated_at, id)
    WHERE problem IN ('open', 'resolution_proposed');
CREATE INDEX tickets_unfinished_by_assignee ON tickets (assignee_id, updated_at, id)
    WHERE problem IN ('open', 'resolution_proposed');
CREATE INDEX tickets_unfinished_by_team ON tickets (team_id, updated_at, id)
    WHERE problem IN ('open', 'resolution_proposed');
CREATE INDEX tickets_owed ON tickets (COALESCE(promised_by, customer_wrote_at, updated_at), id)
    WHERE problem IN ('open', 'resolution_proposed') AND conversation IN ('new', 'waiting_on_us');

-- Moments to follow up: the agent's own, and those of customers they own.
CREATE INDEX moments_by_agent ON moments (agent_id, follow_up_on);
CREATE INDEX customers_by_owner ON customers (owner_id);
-- Which teams an agent is in (the "My team" view and every restricted-team check).
CREATE INDEX team_members_by_agent ON team_members (agent_id, team_id);
