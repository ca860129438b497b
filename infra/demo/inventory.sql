-- Demo catalog, two warehouses and opening stock (lot-tracked goods by series with expiry).
INSERT INTO warehouses (code, name, address) VALUES
    ('MSK-1', 'Moscow central warehouse', 'Moscow, Promyshlennaya 12'),
    ('EKB-1', 'Yekaterinburg regional warehouse', 'Yekaterinburg, Sibirsky trakt 5')
ON CONFLICT (code) DO NOTHING;

INSERT INTO products (sku, name, equipment_type, unit, sourcing, default_supplier, lot_tracked, shelf_life_days, gtin) VALUES
    ('PMP-100', 'Centrifugal pump CP-100', 'pumps', 'pcs', 'stocked', NULL, false, NULL, '4600000000015'),
    ('PMP-250', 'Centrifugal pump CP-250', 'pumps', 'pcs', 'manufactured', NULL, false, NULL, '4600000000022'),
    ('CMP-07', 'Screw compressor SC-7', 'compressors', 'pcs', 'manufactured', NULL, false, NULL, '4600000000039'),
    ('CLM-40', 'Climatic test chamber CTC-40', 'climatic', 'pcs', 'manufactured', NULL, false, NULL, '4600000000046'),
    ('SIM-01', 'Process simulator PS-1', 'simulation', 'pcs', 'purchased', 'SimTech GmbH', false, NULL, '4600000000053'),
    ('SEAL-KIT', 'Pump seal kit', 'pumps', 'set', 'stocked', NULL, true, 730, '4600000000060'),
    ('LUB-5L', 'Compressor lubricant 5 l', 'compressors', 'can', 'purchased', 'Lubri Oil LLC', true, 365, '4600000000077')
-- An earlier seed carried GTINs with wrong check digits: the seed puts right ones in place.
ON CONFLICT (sku) DO UPDATE SET gtin = excluded.gtin;

INSERT INTO lots (id, sku, series, produced_on, expires_on) VALUES
    ('0e5c2b8a-7f1d-4f7a-8c3e-000000000001', 'SEAL-KIT', 'SK-2025-03', '2025-03-01', '2027-03-01'),
    ('0e5c2b8a-7f1d-4f7a-8c3e-000000000002', 'SEAL-KIT', 'SK-2025-09', '2025-09-01', '2027-09-01'),
    ('0e5c2b8a-7f1d-4f7a-8c3e-000000000003', 'LUB-5L', 'LB-2026-02', '2026-02-10', '2027-02-10')
ON CONFLICT (sku, series) DO NOTHING;

INSERT INTO stock_movements (id, kind, sku, warehouse_code, lot_id, quantity, reason, document) VALUES
    ('9a7e4c1b-2d3f-4e5a-b6c7-000000000001', 'receipt', 'PMP-100', 'MSK-1', NULL, 12, 'opening balance', 'DEMO-OPEN'),
    ('9a7e4c1b-2d3f-4e5a-b6c7-000000000002', 'receipt', 'PMP-100', 'EKB-1', NULL, 4, 'opening balance', 'DEMO-OPEN'),
    ('9a7e4c1b-2d3f-4e5a-b6c7-000000000003', 'receipt', 'PMP-250', 'MSK-1', NULL, 2, 'opening balance', 'DEMO-OPEN'),
    ('9a7e4c1b-2d3f-4e5a-b6c7-000000000004', 'receipt', 'SEAL-KIT', 'MSK-1', '0e5c2b8a-7f1d-4f7a-8c3e-000000000001', 40, 'opening balance', 'DEMO-OPEN'),
    ('9a7e4c1b-2d3f-4e5a-b6c7-000000000005', 'receipt', 'SEAL-KIT', 'MSK-1', '0e5c2b8a-7f1d-4f7a-8c3e-000000000002', 60, 'opening balance', 'DEMO-OPEN'),
    ('9a7e4c1b-2d3f-4e5a-b6c7-000000000006', 'receipt', 'LUB-5L', 'EKB-1', '0e5c2b8a-7f1d-4f7a-8c3e-000000000003', 25, 'opening balance', 'DEMO-OPEN')
ON CONFLICT (id) DO NOTHING;
