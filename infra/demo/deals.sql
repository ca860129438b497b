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
