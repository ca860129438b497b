-- Balances, reservations, buyer orders and their routing, supply (production / supplier) orders,
-- shipments and numbered documents.

-- The ledger is append-only: a correction is a new movement, never an edit.
CREATE FUNCTION refuse_ledger_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock movements are append-only; post a correcting movement instead'
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
    FOR EACH ROW EXECUTE FUNCTION refuse_ledger_edit();

-- On-hand and reserved per product / warehouse / lot ("bucket"). on_hand is maintained from the
-- ledger and reserved from the reservations by the triggers below, in the same transaction, so
-- they always agree; the CHECKs are the invariants (never negative, never reserve more than is there).
-- (No foreign keys here: a bucket only ever comes from a movement, whose keys are checked; checking
-- them twice doubled the cost of a bulk import.)
CREATE TABLE stock_buckets (
    id bigserial PRIMARY KEY,
    sku text NOT NULL,
    warehouse_code text NOT NULL,
    lot_id uuid,
    on_hand numeric(18, 3) NOT NULL DEFAULT 0,
    reserved numeric(18, 3) NOT NULL DEFAULT 0,
    -- FEFO breaks ties between equal expiry dates by the oldest receipt.
    first_received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT on_hand_never_negative CHECK (on_hand >= 0),
    CONSTRAINT reserved_never_negative CHECK (reserved >= 0),
    CONSTRAINT reserved_within_on_hand CHECK (reserved <= on_hand),
    CONSTRAINT one_bucket_per_lot UNIQUE NULLS NOT DISTINCT (sku, warehouse_code, lot_id)
);
CREATE INDEX stock_buckets_by_sku ON stock_buckets (sku);

INSERT INTO stock_buckets (sku, warehouse_code, lot_id, on_hand, first_received_at)
SELECT sku, warehouse_code, lot_id, sum(quantity), min(occurred_at) FROM stock_movements GROUP BY sku, warehouse_code, lot_id;

-- Statement-level, over the statement's new rows: a bulk import of 20,000 movements updates
-- each bucket once, not once per row. Existing buckets are updated first: INSERT … ON CONFLICT
-- checks the CHECKs on the proposed row before it finds the conflict, so an issue (a negative
-- quantity) must never be proposed as a new row unless the bucket really is new — and then the
-- CHECK is right to refuse it.
CREATE FUNCTION apply_stock_movements() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH totals AS (
        SELECT sku, warehouse_code, lot_id, sum(quantity) AS quantity, min(occurred_at) AS first_at
        FROM moved GROUP BY sku, warehouse_code, lot_id
    ), updated AS (
        UPDATE stock_buckets b SET on_hand = b.on_hand + t.quantity FROM totals t
        WHERE b.sku = t.sku AND b.warehouse_code = t.warehouse_code AND b.lot_id IS NOT DISTINCT FROM t.lot_id
        RETURNING b.sku, b.warehouse_code, b.lot_id
    )
    INSERT INTO stock_buckets AS b (sku, warehouse_code, lot_id, on_hand, first_received_at)
    SELECT t.sku, t.warehouse_code, t.lot_id, t.quantity, t.first_at FROM totals t
    WHERE NOT EXISTS (SELECT 1 FROM updated u
                      WHERE u.sku = t.sku AND u.warehouse_code = t.warehouse_code AND u.lot_id IS NOT DISTINCT FROM t.lot_id)
    -- Another transaction created the bucket meanwhile.
    ON CONFLICT ON CONSTRAINT one_bucket_per_lot DO UPDATE SET on_hand = b.on_hand + excluded.on_hand;
    RETURN NULL;
END $$;
CREATE TRIGGER stock_movements_balance AFTER INSERT ON stock_movements
    REFERENCING NEW TABLE AS moved FOR EACH STATEMENT EXECUTE FUNCTION apply_stock_movements();

ALTER TABLE lots ADD COLUMN expiry_warned_at timestamptz;

-- Buyer orders as deals placed them (one row per order: BuyerOrderPlaced is applied once).
CREATE TABLE orders (
    id uuid PRIMARY KEY,
    deal_id uuid NOT NULL,
    correlation_id uuid NOT NULL,
    state text NOT NULL CHECK (state IN ('open', 'shipped', 'cancelled')),
    partial_shipment_allowed boolean NOT NULL DEFAULT false,
    placed_at timestamptz,
    routed_at timestamptz,
    cancelled_at timestamptz
);
CREATE INDEX orders_by_deal ON orders (deal_id);

CREATE TABLE order_lines (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    position integer NOT NULL,
    sku text NOT NULL REFERENCES products (sku),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    -- What waits for the next receipt of a stocked product (no supplier to order from).
    backordered numeric(18, 3) NOT NULL DEFAULT 0 CHECK (backordered >= 0),
    shipped numeric(18, 3) NOT NULL DEFAULT 0 CHECK (shipped >= 0),
    CHECK (shipped <= quantity),
    UNIQUE (order_id, position)
);
CREATE INDEX order_lines_backordered ON order_lines (sku) WHERE backordered > 0;

CREATE TABLE reservations (
    id uuid PRIMARY KEY,
    order_id uuid NOT NULL REFERENCES orders (id),
    line_id uuid NOT NULL REFERENCES order_lines (id),
    bucket_id bigint NOT NULL REFERENCES stock_buckets (id),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'released', 'shipped')),
    created_at timestamptz NOT NULL,
    closed_at timestamptz
);
CREATE INDEX reservations_active_by_order ON reservations (order_id) WHERE state = 'active';

CREATE FUNCTION apply_reservation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.state <> 'active' THEN
            RAISE EXCEPTION 'a reservation starts active' USING ERRCODE = 'check_violation';
        END IF;
        UPDATE stock_buckets SET reserved = reserved + NEW.quantity WHERE id = NEW.bucket_id;
    ELSIF OLD.state = 'active' AND NEW.state <> 'active' THEN
        UPDATE stock_buckets SET reserved = reserved - OLD.quantity WHERE id = OLD.bucket_id;
    ELSIF OLD.state <> NEW.state OR OLD.quantity <> NEW.quantity OR OLD.bucket_id <> NEW.bucket_id THEN
        RAISE EXCEPTION 'a closed reservation does not change; an active one only closes' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER reservations_reserved AFTER INSERT OR UPDATE ON reservations
    FOR EACH ROW EXECUTE FUNCTION apply_reservation();

-- Production orders to the plant and supplier orders, each for (part of) an order line, or for
-- stock when line_id is null.
CREATE TABLE supply_orders (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('production', 'purchase')),
    number text NOT NULL UNIQUE,
    order_id uuid REFERENCES orders (id),
    line_id uuid REFERENCES order_lines (id),
    sku text NOT NULL REFERENCES products (sku),
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0),
    supplier text,
    state text NOT NULL,
    readiness integer NOT NULL DEFAULT 0 CHECK (readiness BETWEEN 0 AND 100),
    expected_on date,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK ((kind = 'production' AND state IN ('planned', 'in_progress', 'done', 'cancelled'))
        OR (kind = 'purchase' AND state IN ('sent', 'confirmed', 'received', 'cancelled') AND supplier IS NOT NULL))
);
CREATE INDEX supply_orders_by_order ON supply_orders (order_id);
CREATE INDEX supply_orders_open ON supply_orders (kind, state);

CREATE TABLE shipments (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    order_id uuid NOT NULL REFERENCES orders (id),
    deal_id uuid NOT NULL,
    order_complete boolean NOT NULL,
    shipped_at timestamptz NOT NULL
);

CREATE TABLE shipment_lines (
    shipment_id uuid NOT NULL REFERENCES shipments (id),
    reservation_id uuid NOT NULL UNIQUE REFERENCES reservations (id),
    line_id uuid NOT NULL REFERENCES order_lines (id),
    sku text NOT NULL,
    warehouse_code text NOT NULL,
    lot_series text,
    quantity numeric(18, 3) NOT NULL CHECK (quantity > 0)
);

-- Numbered documents of an order (warehouse order, production order, supplier order, shipment
-- note), linked to the order and deal. Numbers come from one sequence per kind (never reused; a
-- rolled-back transaction leaves a gap, which these internal documents allow), so numbering does
-- not serialise concurrent orders.
CREATE SEQUENCE document_number_warehouse_order;
CREATE SEQUENCE document_number_production_order;
CREATE SEQUENCE document_number_supplier_order;
CREATE SEQUENCE document_number_shipment_note;

CREATE TABLE documents (
    number text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('warehouse_order', 'production_order', 'supplier_order', 'shipment_note')),
    order_id uuid NOT NULL REFERENCES orders (id),
    deal_id uuid NOT NULL,
    issued_at timestamptz NOT NULL
);
CREATE INDEX documents_by_order ON documents (order_id);
CREATE INDEX reservations_by_line ON reservations (line_id);
CREATE INDEX supply_orders_by_line ON supply_orders (line_id);
