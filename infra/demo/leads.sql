-- Demo sales organisation: three departments, their heads and managers, the head of sales.
-- Idempotent: natural keys with ON CONFLICT DO NOTHING.
INSERT INTO departments (code, name) VALUES
    ('alto', 'Alto — laboratory and climatic equipment'),
    ('prom', 'Prom — industrial pumps and compressors'),
    ('plazo', 'Plazo — simulation and training systems')
ON CONFLICT (code) DO NOTHING;

INSERT INTO staff (id, name, email, phone_e164, role, department_code) VALUES
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000001', 'Irina Volkova', 'i.volkova@dms.example', '+74951230001', 'head_of_sales', NULL),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000002', 'Pavel Orlov', 'p.orlov@dms.example', '+74951230002', 'head_of_department', 'alto'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000003', 'Anna Smirnova', 'a.smirnova@dms.example', '+74951230003', 'manager', 'alto'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000004', 'Dmitry Kuznetsov', 'd.kuznetsov@dms.example', '+74951230004', 'manager', 'alto'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000005', 'Olga Morozova', 'o.morozova@dms.example', '+74951230005', 'head_of_department', 'prom'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000006', 'Sergey Lebedev', 's.lebedev@dms.example', '+74951230006', 'manager', 'prom'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000007', 'Maria Novikova', 'm.novikova@dms.example', '+74951230007', 'manager', 'prom'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000008', 'Alexei Sokolov', 'a.sokolov@dms.example', '+74951230008', 'head_of_department', 'plazo'),
    ('6b0f6a9e-4d2c-4b7e-9a51-000000000009', 'Elena Popova', 'e.popova@dms.example', '+74951230009', 'manager', 'plazo')
ON CONFLICT (id) DO NOTHING;

-- A known customer: mail or calls from this contact land in the history and notify Sergey Lebedev.
INSERT INTO counterparties (id, name, tax_id, kind) VALUES
    ('7c1e2d3f-0000-4000-8000-000000000001', 'Uralmash-Service LLC', '6673123456', 'customer')
ON CONFLICT (id) DO NOTHING;
INSERT INTO contacts (id, name, counterparty_id, manager_id, marketing_consent) VALUES
    ('7c1e2d3f-0000-4000-8000-000000000101', 'Oleg Kim', '7c1e2d3f-0000-4000-8000-000000000001',
     '6b0f6a9e-4d2c-4b7e-9a51-000000000006', true)
ON CONFLICT (id) DO NOTHING;
INSERT INTO contact_phones (contact_id, e164, raw) VALUES
    ('7c1e2d3f-0000-4000-8000-000000000101', '+79123456789', '+7 912 345-67-89')
ON CONFLICT DO NOTHING;
INSERT INTO contact_emails (contact_id, email) VALUES
    ('7c1e2d3f-0000-4000-8000-000000000101', 'oleg.kim@uralmash-service.example')
ON CONFLICT DO NOTHING;
