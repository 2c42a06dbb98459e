-- Full-text search over tickets: one document per ticket, in an FTS5 table whose rowid is the
-- ticket's id. Its columns: the subject; the customer's name and addresses; the public
-- messages; internal notes (with the file names of notes); the file names of public messages.
-- Words are runs of letters and digits, lowercased, accents kept (the same cut PostgreSQL's
-- tree makes). Contentless: the text lives once, in its own tables; the index only points
-- at tickets, and snippets are cut from the rows themselves.
CREATE VIRTUAL TABLE ticket_search USING fts5 (
    subject, customer, messages, notes, files,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

-- What a ticket's document holds, read from the rows. Each part is capped, as on PostgreSQL
-- (whose documents must stay under a megabyte); a conversation past its first 250,000
-- characters is found by its subject, people and the text before.
CREATE VIEW ticket_search_source AS
SELECT t.id AS ticket_id,
       t.customer_id AS customer_id,
       t.subject AS subject,
       substr(c.name || ' ' || COALESCE((SELECT group_concat(e.email, ' ') FROM customer_emails e
                                         WHERE e.customer_id = c.id), ''), 1, 5000) AS customer,
       substr(COALESCE((SELECT group_concat(body_text, ' ') FROM
                          (SELECT m.body_text FROM messages m
                           WHERE m.ticket_id = t.id AND m.visibility = 'public' ORDER BY m.id)), ''),
              1, 250000) AS messages,
       substr(COALESCE((SELECT group_concat(body_text, ' ') FROM
                          (SELECT m.body_text FROM messages m
                           WHERE m.ticket_id = t.id AND m.visibility = 'internal' ORDER BY m.id)), '')
              || ' ' ||
              COALESCE((SELECT group_concat(a.filename, ' ') FROM attachments a JOIN messages m ON m.id = a.message_id
                        WHERE m.ticket_id = t.id AND m.visibility = 'internal'), ''),
              1, 100000) AS notes,
       substr(COALESCE((SELECT group_concat(a.filename, ' ') FROM attachments a JOIN messages m ON m.id = a.message_id
                        WHERE m.ticket_id = t.id AND m.visibility = 'public'), ''), 1, 20000) AS files
FROM tickets t JOIN customers c ON c.id = t.customer_id;

-- The index is kept by triggers, in the transaction of the write that changes what a
-- document holds, whichever code path writes it (intake, the API, the portal, merges,
-- erasure, imports). Each rewrites the whole document of the tickets concerned.
CREATE TRIGGER ticket_search_ticket_added AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id = NEW.id;
END;

CREATE TRIGGER ticket_search_ticket_changed AFTER UPDATE OF subject, customer_id ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = NEW.id;
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id = NEW.id;
END;

CREATE TRIGGER ticket_search_ticket_removed AFTER DELETE ON tickets BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.id;
END;

CREATE TRIGGER ticket_search_message_added AFTER INSERT ON messages BEGIN
    DELETE FROM ticket_search WHERE rowid = NEW.ticket_id;
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id = NEW.ticket_id;
END;

CREATE TRIGGER ticket_search_message_changed AFTER UPDATE OF body_text, visibility, ticket_id ON messages BEGIN
    DELETE FROM ticket_search WHERE rowid IN (OLD.ticket_id, NEW.ticket_id);
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id IN (OLD.ticket_id, NEW.ticket_id);
END;

CREATE TRIGGER ticket_search_message_removed AFTER DELETE ON messages BEGIN
    DELETE FROM ticket_search WHERE rowid = OLD.ticket_id;
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id = OLD.ticket_id;
END;

CREATE TRIGGER ticket_search_attachment_added AFTER INSERT ON attachments BEGIN
    DELETE FROM ticket_search WHERE rowid = (SELECT ticket_id FROM messages WHERE id = NEW.message_id);
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id = (SELECT ticket_id FROM messages WHERE id = NEW.message_id);
END;

CREATE TRIGGER ticket_search_attachment_changed AFTER UPDATE OF filename, message_id ON attachments BEGIN
    DELETE FROM ticket_search WHERE rowid IN (SELECT ticket_id FROM messages WHERE id IN (OLD.message_id, NEW.message_id));
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source
        WHERE ticket_id IN (SELECT ticket_id FROM messages WHERE id IN (OLD.message_id, NEW.message_id));
END;

CREATE TRIGGER ticket_search_attachment_removed AFTER DELETE ON attachments BEGIN
    DELETE FROM ticket_search WHERE rowid = (SELECT ticket_id FROM messages WHERE id = OLD.message_id);
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE ticket_id = (SELECT ticket_id FROM messages WHERE id = OLD.message_id);
END;

CREATE TRIGGER ticket_search_customer_renamed AFTER UPDATE OF name ON customers BEGIN
    DELETE FROM ticket_search WHERE rowid IN (SELECT id FROM tickets WHERE customer_id = NEW.id);
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE customer_id = NEW.id;
END;

CREATE TRIGGER ticket_search_email_added AFTER INSERT ON customer_emails BEGIN
    DELETE FROM ticket_search WHERE rowid IN (SELECT id FROM tickets WHERE customer_id = NEW.customer_id);
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE customer_id = NEW.customer_id;
END;

CREATE TRIGGER ticket_search_email_changed AFTER UPDATE ON customer_emails BEGIN
    DELETE FROM ticket_search WHERE rowid IN
        (SELECT id FROM tickets WHERE customer_id IN (OLD.customer_id, NEW.customer_id));
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE customer_id IN (OLD.customer_id, NEW.customer_id);
END;

CREATE TRIGGER ticket_search_email_removed AFTER DELETE ON customer_emails BEGIN
    DELETE FROM ticket_search WHERE rowid IN (SELECT id FROM tickets WHERE customer_id = OLD.customer_id);
    INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
        SELECT ticket_id, subject, customer, messages, notes, files
        FROM ticket_search_source WHERE customer_id = OLD.customer_id;
END;

-- The tickets already there.
INSERT INTO ticket_search (rowid, subject, customer, messages, notes, files)
    SELECT ticket_id, subject, customer, messages, notes, files FROM ticket_search_source;

-- The inbox's team view and the search's team filter; the agent's promises due.
CREATE INDEX tickets_by_team ON tickets (team_id, id);
CREATE INDEX promises_by_agent ON promises (agent_id, status, due_at);
