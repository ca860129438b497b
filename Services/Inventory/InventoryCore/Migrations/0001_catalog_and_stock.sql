CREATE TABLE warehouses (
    code text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]*$'),
    name text NOT NULL,
    address text NOT NULL DEFAULT ''
);

CREATE TABLE products (
    sku text PRIMARY KEY,
    name text NOT NULL,
    equipment_type text NOT NULL,
    unit text NOT NULL DEFAULT 'pcs',
    sourcing text NOT NULL CHECK (sourcing IN ('stocked', 'manufactured', 'purchased')),
    default_supplier text,
    lot_tracked boolean NOT NULL DEFAULT false,
    shelf_life_days integer CHECK (shelf_life_days > 0),
    gtin text UNIQUE CHECK (gtin ~ '^[0-9]{8,14}$'),
    CHECK (sourcing <> 'purchased' OR default_supplier IS NOT NULL)
);

-- Series of lot-tracked goods, with production and expiry dates (FEFO picks the earliest expiry).
CREATE TABLE lots (
    id uuid PRIMARY KEY,
    sku text NOT NULL REFERENCES products (sku),
    series text NOT NULL,
    produced_on date,
    expires_on date,
    UNIQUE (sku, series)
);

-- The stock ledger: every change is a movement; balances are derived from it.
CREATE TABLE stock_movements (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('receipt', 'issue', 'transfer_in', 'transfer_out', 'adjustment')),
    sku text NOT NULL REFERENCES products (sku),
    warehouse_code text NOT NULL REFERENCES warehouses (code),
    lot_id uuid REFERENCES lots (id),
    quantity numeric(18, 3) NOT NULL CHECK (quantity <> 0),
    reason text NOT NULL,
    document text,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_balance ON stock_movements (sku, warehouse_code, lot_id);
