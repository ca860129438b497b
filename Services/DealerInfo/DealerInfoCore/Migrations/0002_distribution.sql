-- Dealers' credentials, segments, publications and their per-dealer delivery, the stock series,
-- the customer base assigned to dealers, and shops' sales reports with anomaly flags.

-- API keys: `dk_<prefix>_<secret>`, shown once; only the SHA-256 of the whole key is kept. The
-- prefix finds the row; revoked keys stay for the record.
CREATE TABLE dealer_keys (
    id uuid PRIMARY KEY,
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    prefix text NOT NULL UNIQUE,
    -- Hex SHA-256 of the whole key.
    hash text NOT NULL,
    label text,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    last_used_at timestamptz
);
CREATE INDEX dealer_keys_by_dealer ON dealer_keys (dealer_id);

-- Segments: a rule over dealer attributes (Domain/Segments.swift), kept as written.
CREATE TABLE segments (
    code text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_-]*$'),
    name text NOT NULL,
    rule jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A series of publications with increasing versions ("price list — retail — RUB").
CREATE TABLE series (
    code text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9_.-]*$'),
    kind text NOT NULL CHECK (kind IN ('price_list', 'plan', 'promotion', 'document', 'assortment', 'methodology')),
    title text NOT NULL,
    latest_version integer NOT NULL DEFAULT 0
);

CREATE TABLE publications (
    id uuid PRIMARY KEY,
    series_code text NOT NULL REFERENCES series (code),
    version integer NOT NULL CHECK (version > 0),
    title text NOT NULL,
    -- Structured content other than price items and plan targets (promotions' conditions, a
    -- document's file name, media type and checksum, an assortment's SKUs).
    content jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- As asked ({"all": true}, {"segments": […]}, {"dealers": […]}); the resolved recipients are
    -- the deliveries below.
    addressing jsonb NOT NULL,
    recipients integer NOT NULL,
    published_at timestamptz NOT NULL,
    UNIQUE (series_code, version)
);

CREATE TABLE price_items (
    publication_id uuid NOT NULL REFERENCES publications (id),
    sku text NOT NULL,
    price numeric(18, 2) NOT NULL CHECK (price >= 0),
    currency text NOT NULL,
    valid_from date,
    valid_to date,
    PRIMARY KEY (publication_id, sku)
);

-- Plan and KPI targets per dealer and period: a dealer sees only its own rows.
CREATE TABLE plan_targets (
    publication_id uuid NOT NULL REFERENCES publications (id),
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    period text NOT NULL,
    metric text NOT NULL,
    target numeric(18, 2) NOT NULL,
    PRIMARY KEY (publication_id, dealer_id, period, metric)
);

CREATE TABLE publication_files (
    publication_id uuid PRIMARY KEY REFERENCES publications (id),
    media_type text NOT NULL,
    bytes bytea NOT NULL
);

-- One per dealer and publication; `seq` orders a dealer's feed (the cursor).
CREATE TABLE deliveries (
    seq bigserial UNIQUE,
    publication_id uuid NOT NULL REFERENCES publications (id),
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'acknowledged', 'rejected')),
    delivered_at timestamptz,
    acknowledged_at timestamptz,
    applied_version integer,
    rejection text,
    PRIMARY KEY (publication_id, dealer_id)
);
CREATE INDEX deliveries_feed ON deliveries (dealer_id, seq);

-- Per dealer and series: the version it last said it applied, the version it last fetched as a
-- snapshot or delta, and versions it skipped (applied a later one without them and without a
-- snapshot or delta covering them) — the "who is behind" view.
CREATE TABLE dealer_series_state (
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    series_code text NOT NULL REFERENCES series (code),
    applied_version integer NOT NULL DEFAULT 0,
    applied_at timestamptz,
    fetched_version integer NOT NULL DEFAULT 0,
    missing_versions integer[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (dealer_id, series_code)
);

-- Availability from inventory's StockLevelChanged, per product and warehouse; `seq` orders the
-- dealers' stock feed.
CREATE TABLE stock_levels (
    sku text NOT NULL,
    warehouse text NOT NULL,
    available numeric(18, 3) NOT NULL,
    changed_at timestamptz NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (sku, warehouse)
);
CREATE SEQUENCE stock_level_seq;
CREATE INDEX stock_levels_by_seq ON stock_levels (seq);

-- The customer base assigned to each dealer.
CREATE TABLE dealer_customers (
    id uuid PRIMARY KEY,
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    name text NOT NULL,
    tax_id text,
    contact text,
    phone text,
    email text,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dealer_id, tax_id)
);
CREATE INDEX dealer_customers_by_dealer ON dealer_customers (dealer_id, name);

-- Shops' daily sales: one row per shop and day, replaced by a corrected report (version + 1).
CREATE TABLE sales_reports (
    id uuid PRIMARY KEY,
    shop_id uuid NOT NULL REFERENCES shops (id),
    dealer_id uuid NOT NULL REFERENCES dealers (id),
    day date NOT NULL,
    version integer NOT NULL,
    content_hash text NOT NULL,
    report jsonb NOT NULL,
    currency text NOT NULL,
    sales numeric(18, 2) NOT NULL,
    returns numeric(18, 2) NOT NULL,
    discounts numeric(18, 2) NOT NULL,
    receipts integer NOT NULL,
    received_at timestamptz NOT NULL,
    UNIQUE (shop_id, day)
);
CREATE INDEX sales_reports_by_dealer ON sales_reports (dealer_id, day);

CREATE TABLE report_anomalies (
    report_id uuid NOT NULL REFERENCES sales_reports (id),
    version integer NOT NULL,
    kind text NOT NULL,
    receipt text,
    sku text,
    detail text NOT NULL,
    flagged_at timestamptz NOT NULL
);
CREATE INDEX report_anomalies_by_report ON report_anomalies (report_id, version);

-- Optional push: a dealer's endpoint receives each delivery as it is published, signed with the
-- dealer's own secret (`DMS-Signature`, as our connectors sign to us), retried with backoff.
CREATE TABLE dealer_endpoints (
    dealer_id uuid PRIMARY KEY REFERENCES dealers (id),
    url text NOT NULL CHECK (url ~ '^https?://'),
    secret text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE deliveries ADD COLUMN push_next_at timestamptz;
ALTER TABLE deliveries ADD COLUMN push_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN pushed_at timestamptz;
ALTER TABLE deliveries ADD COLUMN push_error text;
CREATE INDEX deliveries_push_due ON deliveries (push_next_at) WHERE push_next_at IS NOT NULL;
