-- Customers and organizations edited by agents: a customer's phone and notes, which of their
-- addresses we write to, and an organization's notes.

ALTER TABLE customers ADD COLUMN phone TEXT;
ALTER TABLE customers ADD COLUMN notes TEXT;

-- The address we write to is the one marked primary (at most one per customer); a customer
-- with none marked is written to at their oldest address, as before.
ALTER TABLE customer_emails ADD COLUMN is_primary BIGINT NOT NULL DEFAULT 0;

ALTER TABLE organizations ADD COLUMN notes TEXT;

-- A call-back a customer asks for in the portal is a request until an agent accepts it, and
-- only then a promise in the agent's name. Promises made before were shown as made.
ALTER TABLE promises ADD COLUMN accepted_at TEXT;
UPDATE promises SET accepted_at = created_at WHERE id NOT IN
    (SELECT entity_id FROM events WHERE entity = 'promise' AND action = 'promise.made' AND actor_kind = 'customer');
