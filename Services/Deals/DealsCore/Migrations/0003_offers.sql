-- Commercial offers: numbered across the company, versioned per deal, kept as sent (HTML and PDF).
CREATE SEQUENCE offer_numbers;
CREATE TABLE offers (
    id uuid PRIMARY KEY,
    deal_id uuid NOT NULL REFERENCES deals (id),
    number text NOT NULL UNIQUE,
    version integer NOT NULL,
    language text NOT NULL CHECK (language IN ('ru', 'es', 'pt', 'en')),
    total numeric,
    currency text NOT NULL,
    valid_until date NOT NULL,
    html text NOT NULL,
    pdf bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deal_id, version)
);
