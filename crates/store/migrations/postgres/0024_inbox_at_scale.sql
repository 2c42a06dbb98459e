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

CREATE FUNCTION rapport_owed_refresh(ticket BIGINT) RETURNS void LANGUAGE sql AS $$
    UPDATE tickets SET
        promised_by = (SELECT MIN(p.due_at) FROM promises p WHERE p.ticket_id = ticket AND p.status = 'open'),
        customer_wrote_at = (SELECT MAX(m.created_at) FROM messages m
                             WHERE m.ticket_id = ticket AND m.author_kind = 'customer')
    WHERE id = ticket;
$$;

CREATE FUNCTION rapport_owed_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.author_kind = 'customer' THEN
            UPDATE tickets SET customer_wrote_at = NEW.created_at
            WHERE id = NEW.ticket_id AND (customer_wrote_at IS NULL OR customer_wrote_at < NEW.created_at);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF OLD.author_kind = 'customer' THEN
            PERFORM rapport_owed_refresh(OLD.ticket_id);
        END IF;
    ELSE
        PERFORM rapport_owed_refresh(OLD.ticket_id);
        IF NEW.ticket_id IS DISTINCT FROM OLD.ticket_id THEN
            PERFORM rapport_owed_refresh(NEW.ticket_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_owed_message AFTER INSERT OR DELETE OR UPDATE OF ticket_id, author_kind, created_at ON messages
    FOR EACH ROW EXECUTE FUNCTION rapport_owed_on_message();

CREATE FUNCTION rapport_owed_on_promise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.ticket_id IS NOT NULL THEN
        PERFORM rapport_owed_refresh(OLD.ticket_id);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.ticket_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.ticket_id IS DISTINCT FROM OLD.ticket_id) THEN
        PERFORM rapport_owed_refresh(NEW.ticket_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER tickets_owed_promise AFTER INSERT OR DELETE OR UPDATE OF ticket_id, status, due_at ON promises
    FOR EACH ROW EXECUTE FUNCTION rapport_owed_on_promise();

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
CREATE INDEX tickets_owed ON tickets ((COALESCE(promised_by, customer_wrote_at, updated_at)), id)
    WHERE problem IN ('open', 'resolution_proposed') AND conversation IN ('new', 'waiting_on_us');

-- Moments to follow up: the agent's own, and those of customers they own.
CREATE INDEX moments_by_agent ON moments (agent_id, follow_up_on);
CREATE INDEX customers_by_owner ON customers (owner_id);
-- Which teams an agent is in (the "My team" view and every restricted-team check).
CREATE INDEX team_members_by_agent ON team_members (agent_id, team_id);
