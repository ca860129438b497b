-- Demo configuration of the sales process: refusal reasons and certified equipment types.
INSERT INTO loss_reasons (code, title, creates_quality_task) VALUES
    ('price', 'Price too high', false),
    ('competitor', 'Chose a competitor', false),
    ('no_budget', 'No budget this period', false),
    ('timing', 'Lead time too long', false),
    ('not_suitable', 'Equipment not suitable', true)
ON CONFLICT (code) DO NOTHING;

INSERT INTO certification_required_types (equipment_type) VALUES ('climatic'), ('simulation')
ON CONFLICT (equipment_type) DO NOTHING;

-- Heads of the demo departments (staff ids of the leads service's demo organisation).
INSERT INTO department_heads (department_code, head_id) VALUES
    ('alto', '6b0f6a9e-4d2c-4b7e-9a51-000000000002'),
    ('prom', '6b0f6a9e-4d2c-4b7e-9a51-000000000005'),
    ('plazo', '6b0f6a9e-4d2c-4b7e-9a51-000000000008')
ON CONFLICT (department_code) DO NOTHING;
