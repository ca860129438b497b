-- What inventory reports about each line of a deal's buyer order (from its events): reserved in
-- the warehouse, being made (with readiness and expected date), ordered from a supplier,
-- received, shipped. What is none of these waits for stock.
CREATE TABLE order_fulfilment (
    line_id uuid PRIMARY KEY,
    deal_id uuid NOT NULL REFERENCES deals (id),
    order_id uuid NOT NULL REFERENCES buyer_orders (id),
    position integer NOT NULL,
    sku text NOT NULL,
    quantity numeric(18, 3) NOT NULL,
    reserved numeric(18, 3) NOT NULL DEFAULT 0,
    in_production numeric(18, 3) NOT NULL DEFAULT 0,
    readiness integer,
    expected_on date,
    on_order numeric(18, 3) NOT NULL DEFAULT 0,
    received numeric(18, 3) NOT NULL DEFAULT 0,
    shipped numeric(18, 3) NOT NULL DEFAULT 0,
    routed_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_fulfilment_by_deal ON order_fulfilment (deal_id, position);

INSERT INTO order_fulfilment (line_id, deal_id, order_id, position, sku, quantity)
SELECT (l ->> 'lineId')::uuid, o.deal_id, o.id, n, l ->> 'sku', (l ->> 'quantity')::numeric
FROM buyer_orders o, jsonb_array_elements(o.lines) WITH ORDINALITY AS x(l, n);

-- Every document of the sale linked to the deal: issued here (contract, invoice, service
-- contract), reported by inventory (warehouse, production and supplier orders, shipment notes),
-- or recorded with a step (certificate, commissioning act). Offers keep their own table.
CREATE TABLE deal_documents (
    number text PRIMARY KEY,
    deal_id uuid NOT NULL REFERENCES deals (id),
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*$'),
    issued_at timestamptz NOT NULL,
    href text,
    amount numeric(18, 2),
    currency text,
    issued_by text
);
CREATE INDEX deal_documents_by_deal ON deal_documents (deal_id, issued_at);
-- The contract, the invoice and the service contract are issued once per deal.
CREATE UNIQUE INDEX deal_documents_once ON deal_documents (deal_id, kind) WHERE kind IN ('contract', 'invoice', 'service_contract');

CREATE SEQUENCE deal_document_number_contract;
CREATE SEQUENCE deal_document_number_invoice;
CREATE SEQUENCE deal_document_number_service_contract;
