-- What a lenient reader mended or guessed in a customer's mail (a sender address read
-- leniently, headers in an undeclared charset), shown to agents beside the message.
ALTER TABLE messages ADD COLUMN intake_note TEXT;

-- Filtered mail (bulk, automatic replies, unmatched bounces, refused mail) as agents list it:
-- the sender and subject as read, the ticket it seemed to answer (for the restricted-team
-- rule), and once an agent turned it into a ticket or added it to one, who and when (once).
ALTER TABLE inbound_emails ADD COLUMN sender TEXT;
ALTER TABLE inbound_emails ADD COLUMN subject TEXT;
ALTER TABLE inbound_emails ADD COLUMN related_ticket_id INTEGER REFERENCES tickets (id);
ALTER TABLE inbound_emails ADD COLUMN taken_at TEXT;
ALTER TABLE inbound_emails ADD COLUMN taken_by INTEGER REFERENCES agents (id);
