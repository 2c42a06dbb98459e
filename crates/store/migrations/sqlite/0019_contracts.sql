-- Contracts, assets and warranties: what a customer or organization is entitled to. A contract
-- covers assets (none listed: everything) for a period and may promise a response in business
-- minutes, which sets the service level of the customer's tickets while it runs.

CREATE TABLE contracts (
    id                     INTEGER PRIMARY KEY,
    kind                   TEXT NOT NULL CHECK (kind IN ('warranty', 'extended_warranty', 'service_contract')),
    name                   TEXT NOT NULL,
    customer_id            INTEGER REFERENCES customers (id),
    organization_id        INTEGER REFERENCES organizations (id),
    starts_on              TEXT NOT NULL,
    ends_on                TEXT NOT NULL,
    first_response_minutes INTEGER,
    resolution_minutes     INTEGER,
    created_at             TEXT NOT NULL,
    CHECK ((customer_id IS NULL) <> (organization_id IS NULL))
);
CREATE INDEX contracts_by_customer ON contracts (customer_id);
CREATE INDEX contracts_by_organization ON contracts (organization_id);

CREATE TABLE assets (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    serial_number   TEXT,
    customer_id     INTEGER REFERENCES customers (id),
    organization_id INTEGER REFERENCES organizations (id),
    created_at      TEXT NOT NULL,
    CHECK ((customer_id IS NULL) <> (organization_id IS NULL))
);
CREATE INDEX assets_by_customer ON assets (customer_id);
CREATE INDEX assets_by_organization ON assets (organization_id);

CREATE TABLE contract_assets (
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    asset_id    INTEGER NOT NULL REFERENCES assets (id),
    PRIMARY KEY (contract_id, asset_id)
);

-- Which assets a ticket is about: an asset's repair history across tickets.
CREATE TABLE ticket_assets (
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    asset_id   INTEGER NOT NULL REFERENCES assets (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (ticket_id, asset_id)
);
CREATE INDEX ticket_assets_by_asset ON ticket_assets (asset_id, ticket_id);

-- The contract whose response promise set a ticket's service level, if one did.
ALTER TABLE ticket_sla ADD COLUMN contract_id INTEGER REFERENCES contracts (id);
