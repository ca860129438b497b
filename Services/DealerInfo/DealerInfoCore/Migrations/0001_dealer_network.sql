CREATE TABLE dealers (
    id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    legal_name text NOT NULL,
    tax_id text NOT NULL,
    region text NOT NULL,
    tier text NOT NULL CHECK (tier IN ('gold', 'silver', 'bronze')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shops (
    id uuid PRIMARY KEY,
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    region text NOT NULL,
    city text NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX shops_dealer ON shops (dealer_id);
