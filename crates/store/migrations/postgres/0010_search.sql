-- Full-text search over tickets: one document per ticket, a tsvector with a GIN index. Its
-- parts are weighted: A the subject; B the customer's name and addresses; C the public
-- messages and their file names; D internal notes (with the file names of notes). Words are
-- runs of letters and digits, lowercased, accents kept: every other character is made a space
-- before the `simple` configuration reads the text (which would otherwise keep addresses and
-- hyphenated words whole), so both databases cut words alike.
CREATE TABLE ticket_search (
    ticket_id BIGINT PRIMARY KEY,
    document  tsvector NOT NULL
);
CREATE INDEX ticket_search_document ON ticket_search USING GIN (document);

CREATE FUNCTION rapport_search_words(text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('simple', regexp_replace($1, '[^[:alnum:]]+', ' ', 'g'))
$$;

-- What a ticket's document holds, read from the rows. Each part is capped, so that a document
-- stays under PostgreSQL's megabyte; a conversation past its first 250,000 characters is
-- found by its subject, people and the text before (the same caps as on SQLite).
CREATE VIEW ticket_search_source AS
SELECT t.id AS ticket_id,
       t.customer_id AS customer_id,
       setweight(rapport_search_words(t.subject), 'A')
       || setweight(rapport_search_words(left(c.name || ' ' || COALESCE(
              (SELECT string_agg(e.email, ' ') FROM customer_emails e WHERE e.customer_id = c.id), ''), 5000)), 'B')
       || setweight(rapport_search_words(left(COALESCE(
              (SELECT string_agg(m.body_text, ' ' ORDER BY m.id) FROM messages m
               WHERE m.ticket_id = t.id AND m.visibility = 'public'), ''), 250000)), 'C')
       || setweight(rapport_search_words(left(COALESCE(
              (SELECT string_agg(a.filename, ' ') FROM attachments a JOIN messages m ON m.id = a.message_id
               WHERE m.ticket_id = t.id AND m.visibility = 'public'), ''), 20000)), 'C')
       || setweight(rapport_search_words(left(COALESCE(
              (SELECT string_agg(m.body_text, ' ' ORDER BY m.id) FROM messages m
               WHERE m.ticket_id = t.id AND m.visibility = 'internal'), '') || ' ' || COALESCE(
              (SELECT string_agg(a.filename, ' ') FROM attachments a JOIN messages m ON m.id = a.message_id
               WHERE m.ticket_id = t.id AND m.visibility = 'internal'), ''), 100000)), 'D') AS document
FROM tickets t JOIN customers c ON c.id = t.customer_id;

-- Rewrites the documents of the tickets given (removes those of tickets that are gone), in id
-- order. Each ticket's row is held first (FOR NO KEY UPDATE, which a message's foreign key
-- check does not wait for), so two transactions writing to one ticket rewrite its document one
-- after the other, the second reading what the first committed: each statement of a PL/pgSQL
-- function reads afresh. One ticket per statement, so each statement's plan is a look-up by
-- key whatever the tables' statistics.
CREATE FUNCTION rapport_search_refresh(ticket_ids BIGINT[]) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    ticket BIGINT;
BEGIN
    FOR ticket IN SELECT DISTINCT given FROM unnest(ticket_ids) AS given ORDER BY given LOOP
        PERFORM 1 FROM tickets WHERE id = ticket FOR NO KEY UPDATE;
        DELETE FROM ticket_search WHERE ticket_id = ticket;
        INSERT INTO ticket_search (ticket_id, document)
            SELECT ticket_id, document FROM ticket_search_source WHERE ticket_id = ticket;
    END LOOP;
END;
$$;

-- The index is kept by triggers, in the transaction of the write that changes what a
-- document holds, whichever code path writes it (intake, the API, the portal, merges,
-- erasure, imports).
CREATE FUNCTION rapport_search_on_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM rapport_search_refresh(ARRAY[OLD.id]);
    ELSE
        PERFORM rapport_search_refresh(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticket_search_ticket AFTER INSERT OR DELETE OR UPDATE OF subject, customer_id ON tickets
    FOR EACH ROW EXECUTE FUNCTION rapport_search_on_ticket();

CREATE FUNCTION rapport_search_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM rapport_search_refresh(ARRAY[NEW.ticket_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM rapport_search_refresh(ARRAY[OLD.ticket_id]);
    ELSE
        PERFORM rapport_search_refresh(ARRAY[OLD.ticket_id, NEW.ticket_id]);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticket_search_message AFTER INSERT OR DELETE OR UPDATE OF body_text, visibility, ticket_id ON messages
    FOR EACH ROW EXECUTE FUNCTION rapport_search_on_message();

CREATE FUNCTION rapport_search_on_attachment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM rapport_search_refresh(ARRAY(SELECT ticket_id FROM messages WHERE id = NEW.message_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM rapport_search_refresh(ARRAY(SELECT ticket_id FROM messages WHERE id = OLD.message_id));
    ELSE
        PERFORM rapport_search_refresh(
            ARRAY(SELECT ticket_id FROM messages WHERE id IN (OLD.message_id, NEW.message_id)));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticket_search_attachment AFTER INSERT OR DELETE OR UPDATE OF filename, message_id ON attachments
    FOR EACH ROW EXECUTE FUNCTION rapport_search_on_attachment();

CREATE FUNCTION rapport_search_on_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rapport_search_refresh(ARRAY(SELECT id FROM tickets WHERE customer_id = NEW.id));
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticket_search_customer AFTER UPDATE OF name ON customers
    FOR EACH ROW EXECUTE FUNCTION rapport_search_on_customer();

CREATE FUNCTION rapport_search_on_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM rapport_search_refresh(ARRAY(SELECT id FROM tickets WHERE customer_id = NEW.customer_id));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM rapport_search_refresh(ARRAY(SELECT id FROM tickets WHERE customer_id = OLD.customer_id));
    ELSE
        PERFORM rapport_search_refresh(
            ARRAY(SELECT id FROM tickets WHERE customer_id IN (OLD.customer_id, NEW.customer_id)));
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticket_search_email AFTER INSERT OR DELETE OR UPDATE ON customer_emails
    FOR EACH ROW EXECUTE FUNCTION rapport_search_on_email();

-- The tickets already there.
INSERT INTO ticket_search (ticket_id, document) SELECT ticket_id, document FROM ticket_search_source;

-- The inbox's team view and the search's team filter; the agent's promises due.
CREATE INDEX tickets_by_team ON tickets (team_id, id);
CREATE INDEX promises_by_agent ON promises (agent_id, status, due_at);
