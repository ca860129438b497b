-- Deals: the whole aggregate as JSON (written by the domain), with the columns queries filter on.
CREATE TABLE deals (
    id uuid PRIMARY KEY,
    record jsonb NOT NULL,
    stage text NOT NULL CHECK (stage IN ('selection', 'offer', 'contract', 'fulfilment', 'certification',
        'commissioning', 'service', 'closed', 'lost')),
    version integer NOT NULL,
    -- One deal per converted lead, however often `LeadConverted` arrives.
    lead_id uuid UNIQUE,
    counterparty_name text NOT NULL,
    manager_id uuid NOT NULL,
    department_code text NOT NULL,
    equipment_types text[] NOT NULL DEFAULT '{}',
    total numeric,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    correlation_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_stage_created ON deals (stage, created_at, id);
CREATE INDEX deals_manager ON deals (manager_id, created_at);

CREATE TABLE deal_stage_history (
    id bigserial PRIMARY KEY,
    deal_id uuid NOT NULL REFERENCES deals (id),
    from_stage text NOT NULL,
    to_stage text NOT NULL,
    changed_by uuid,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, id);

-- Payments, idempotent by the bank's reference per deal.
CREATE TABLE deal_payments (
    id uuid PRIMARY KEY,
    deal_id uuid NOT NULL REFERENCES deals (id),
    reference text NOT NULL,
    amount numeric NOT NULL CHECK (amount > 0),
    currency text NOT NULL,
    paid_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (deal_id, reference)
);

-- Buyer orders: the agreed lines handed to inventory.
CREATE TABLE buyer_orders (
    id uuid PRIMARY KEY,
    deal_id uuid NOT NULL UNIQUE REFERENCES deals (id),
    lines jsonb NOT NULL,
    state text NOT NULL DEFAULT 'placed' CHECK (state IN ('placed', 'cancelled')),
    placed_at timestamptz NOT NULL DEFAULT now()
);

-- Tasks for people: created by stage rules and over HTTP.
CREATE TABLE tasks (
    id uuid PRIMARY KEY,
    deal_id uuid REFERENCES deals (id),
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]*$'),
    assignee_id uuid,
    -- For rule-made tasks: who the rule meant (the manager, the head of the department).
    assignee_role text,
    title text,
    due_at timestamptz,
    outcome text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    -- Each rule makes its task once per deal.
    source text UNIQUE
);
CREATE INDEX tasks_assignee_open ON tasks (assignee_id, due_at) WHERE completed_at IS NULL;

-- What the leads service publishes about counterparties and contacts, kept here so a deal opened
-- from a converted lead knows the legal entity and the people without calling leads.
CREATE TABLE counterparty_view (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    tax_id text,
    kind text NOT NULL
);
CREATE TABLE contact_view (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    counterparty_id uuid,
    phones text[] NOT NULL DEFAULT '{}',
    emails text[] NOT NULL DEFAULT '{}'
);

-- Heads of department by department (from configuration), for tasks of the head.
CREATE TABLE department_heads (
    department_code text PRIMARY KEY,
    head_id uuid NOT NULL
);

CREATE TABLE idempotency_keys (
    key text NOT NULL,
    operation text NOT NULL,
    status integer NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, operation)
);

-- The sales methodology per stage and language: what to check and what to do next. Configuration
-- (edit the rows); English and Russian to start with.
CREATE TABLE stage_guidance (
    stage text NOT NULL,
    language text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    checklist text[] NOT NULL,
    next_steps text[] NOT NULL,
    PRIMARY KEY (stage, language)
);
INSERT INTO stage_guidance (stage, language, checklist, next_steps) VALUES
    ('selection', 'en', ARRAY['Needs written down in the customer''s words', 'Application area, equipment type and materials known', 'Decision maker among the contacts'],
        ARRAY['Select the equipment and price every line', 'Send a commercial offer, or go straight to the contract if the customer is ready']),
    ('selection', 'ru', ARRAY['Потребность записана словами клиента', 'Известны область применения, тип оборудования и материалы', 'Среди контактов есть лицо, принимающее решение'],
        ARRAY['Подберите оборудование и укажите цену каждой позиции', 'Отправьте коммерческое предложение или сразу переходите к договору']),
    ('offer', 'en', ARRAY['Offer sent with validity date', 'Customer confirmed receipt'], ARRAY['Call within two working days', 'Agree the terms, then complete the legal entity for the contract']),
    ('offer', 'ru', ARRAY['КП отправлено, срок действия указан', 'Клиент подтвердил получение'], ARRAY['Позвоните в течение двух рабочих дней', 'Согласуйте условия и заполните реквизиты для договора']),
    ('contract', 'en', ARRAY['Legal entity complete: tax id, payment details, address', 'Contract and invoice issued'], ARRAY['Place the buyer order once signed']),
    ('contract', 'ru', ARRAY['Реквизиты полные: ИНН, банковские реквизиты, адрес', 'Договор и счёт выставлены'], ARRAY['После подписания разместите заказ покупателя']),
    ('fulfilment', 'en', ARRAY['Every line reserved, in production or ordered'], ARRAY['Tell the customer the expected shipment date']),
    ('fulfilment', 'ru', ARRAY['Каждая позиция зарезервирована, в производстве или заказана'], ARRAY['Сообщите клиенту ожидаемую дату отгрузки']),
    ('certification', 'en', ARRAY['Documents sent to the certification body'], ARRAY['Record the certificate when issued']),
    ('certification', 'ru', ARRAY['Документы переданы в орган сертификации'], ARRAY['Внесите сертификат, когда он будет выдан']),
    ('commissioning', 'en', ARRAY['Commissioning date agreed with the customer'], ARRAY['Record the commissioning act']),
    ('commissioning', 'ru', ARRAY['Дата пусконаладки согласована с клиентом'], ARRAY['Внесите акт пусконаладки']),
    ('service', 'en', ARRAY['Service offered to the customer'], ARRAY['Conclude the service contract if the customer agrees', 'Close the deal when paid in full']),
    ('service', 'ru', ARRAY['Клиенту предложено сервисное обслуживание'], ARRAY['Заключите сервисный договор, если клиент согласен', 'Закройте сделку после полной оплаты'])
ON CONFLICT DO NOTHING;
