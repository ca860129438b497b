-- Demo dealer network: five dealers in four regions with their shops.
INSERT INTO dealers (id, code, name, legal_name, tax_id, region, tier, attributes) VALUES
    ('d1a1e000-0000-4000-8000-000000000001', 'D-MSK-01', 'TechnoSnab', 'LLC TechnoSnab', '7701234567', 'Central', 'gold', '{"turnover_class": "A"}'),
    ('d1a1e000-0000-4000-8000-000000000002', 'D-SPB-01', 'NevaPump', 'LLC NevaPump', '7801234567', 'North-West', 'silver', '{"turnover_class": "B"}'),
    ('d1a1e000-0000-4000-8000-000000000003', 'D-EKB-01', 'UralMash Trade', 'JSC UralMash Trade', '6601234567', 'Urals', 'gold', '{"turnover_class": "A"}'),
    ('d1a1e000-0000-4000-8000-000000000004', 'D-NSK-01', 'SibCompressor', 'LLC SibCompressor', '5401234567', 'Siberia', 'bronze', '{"turnover_class": "C"}'),
    ('d1a1e000-0000-4000-8000-000000000005', 'D-KZN-01', 'Volga Industrial', 'LLC Volga Industrial', '1601234567', 'Volga', 'silver', '{"turnover_class": "B"}')
ON CONFLICT (id) DO NOTHING;

INSERT INTO shops (id, dealer_id, code, name, region, city) VALUES
    ('5e0b0000-0000-4000-8000-000000000001', 'd1a1e000-0000-4000-8000-000000000001', 'S-MSK-01-01', 'TechnoSnab Lyublino', 'Central', 'Moscow'),
    ('5e0b0000-0000-4000-8000-000000000002', 'd1a1e000-0000-4000-8000-000000000001', 'S-MSK-01-02', 'TechnoSnab Khimki', 'Central', 'Khimki'),
    ('5e0b0000-0000-4000-8000-000000000003', 'd1a1e000-0000-4000-8000-000000000001', 'S-MSK-01-03', 'TechnoSnab Tula', 'Central', 'Tula'),
    ('5e0b0000-0000-4000-8000-000000000004', 'd1a1e000-0000-4000-8000-000000000002', 'S-SPB-01-01', 'NevaPump Kupchino', 'North-West', 'Saint Petersburg'),
    ('5e0b0000-0000-4000-8000-000000000005', 'd1a1e000-0000-4000-8000-000000000002', 'S-SPB-01-02', 'NevaPump Petrozavodsk', 'North-West', 'Petrozavodsk'),
    ('5e0b0000-0000-4000-8000-000000000006', 'd1a1e000-0000-4000-8000-000000000003', 'S-EKB-01-01', 'UralMash Trade Central', 'Urals', 'Yekaterinburg'),
    ('5e0b0000-0000-4000-8000-000000000007', 'd1a1e000-0000-4000-8000-000000000003', 'S-EKB-01-02', 'UralMash Trade Chelyabinsk', 'Urals', 'Chelyabinsk'),
    ('5e0b0000-0000-4000-8000-000000000008', 'd1a1e000-0000-4000-8000-000000000004', 'S-NSK-01-01', 'SibCompressor Novosibirsk', 'Siberia', 'Novosibirsk'),
    ('5e0b0000-0000-4000-8000-000000000009', 'd1a1e000-0000-4000-8000-000000000005', 'S-KZN-01-01', 'Volga Industrial Kazan', 'Volga', 'Kazan'),
    ('5e0b0000-0000-4000-8000-000000000010', 'd1a1e000-0000-4000-8000-000000000005', 'S-KZN-01-02', 'Volga Industrial Samara', 'Volga', 'Samara')
ON CONFLICT (id) DO NOTHING;
