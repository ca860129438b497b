-- Managers can be absent (holiday, sick): auto-assignment skips them.
ALTER TABLE staff ADD COLUMN absent boolean NOT NULL DEFAULT false;

-- Legal entities the company deals with.
CREATE TABLE counterparties (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (btrim(name) <> ''),
    tax_id text,
    kind text NOT NULL CHECK (kind IN ('prospect', 'customer', 'partner', 'supplier')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX counterparties_tax_id ON counterparties (tax_id) WHERE tax_id IS NOT NULL;

-- People. A merged contact points at the one that absorbed it and is no longer matched.
CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    counterparty_id uuid REFERENCES counterparties (id),
    manager_id uuid REFERENCES staff (id),
    marketing_consent boolean NOT NULL DEFAULT false,
    merged_into uuid REFERENCES contacts (id),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact_phones (
    contact_id uuid NOT NULL REFERENCES contacts (id),
    e164 text NOT NULL CHECK (e164 ~ '^\+[1-9][0-9]{6,14}$'),
    raw text NOT NULL,
    PRIMARY KEY (contact_id, e164)
);
CREATE INDEX contact_phones_e164 ON contact_phones (e164);

CREATE TABLE contact_emails (
    contact_id uuid NOT NULL REFERENCES contacts (id),
    email text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    PRIMARY KEY (contact_id, email)
);
CREATE INDEX contact_emails_email ON contact_emails (email);

CREATE TABLE leads (
    id uuid PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('new', 'assigned', 'in_progress', 'qualified', 'converted', 'disqualified')),
    channel text NOT NULL CHECK (channel IN ('phone', 'chat', 'web_form', 'mail', 'manual')),
    source text NOT NULL,
    name text,
    email text CHECK (email = lower(email)),
    phone_e164 text,
    phone_raw text,
    company text,
    department_code text REFERENCES departments (code),
    manager_id uuid REFERENCES staff (id),
    needs text,
    counterparty_id uuid REFERENCES counterparties (id),
    contact_ids uuid[] NOT NULL DEFAULT '{}',
    disqualification_reason text,
    disqualification_comment text,
    correlation_id uuid NOT NULL,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    assigned_at timestamptz,
    converted_at timestamptz,
    CHECK (state IN ('new', 'disqualified') OR manager_id IS NOT NULL)
);
CREATE INDEX leads_state_created ON leads (state, created_at, id);
CREATE INDEX leads_manager ON leads (manager_id, created_at);
CREATE INDEX leads_phone ON leads (phone_e164);
CREATE INDEX leads_email ON leads (email);

-- An open lead owns its sender's identities (`phone:+7…`, `email:…`): twenty inquiries from one
-- new number arriving together make one lead because the second claim of an identity fails here.
CREATE TABLE open_lead_identities (
    identity text PRIMARY KEY,
    lead_id uuid NOT NULL REFERENCES leads (id)
);
CREATE INDEX open_lead_identities_lead ON open_lead_identities (lead_id);

-- Every lead state change: from, to, who, when.
CREATE TABLE lead_transitions (
    id bigserial PRIMARY KEY,
    lead_id uuid NOT NULL REFERENCES leads (id),
    from_state text NOT NULL,
    to_state text NOT NULL,
    changed_by uuid,
    detail jsonb NOT NULL DEFAULT '{}',
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_transitions_lead ON lead_transitions (lead_id, id);

-- Correspondence: calls, mails, chats and forms, of a contact and/or a lead, in time order.
CREATE TABLE history (
    id uuid PRIMARY KEY,
    source_id text NOT NULL UNIQUE,
    contact_id uuid REFERENCES contacts (id),
    lead_id uuid REFERENCES leads (id),
    kind text NOT NULL CHECK (kind IN ('call', 'mail', 'chat', 'web_form', 'note')),
    occurred_at timestamptz NOT NULL,
    summary text NOT NULL,
    body text,
    details jsonb NOT NULL DEFAULT '{}',
    CHECK (contact_id IS NOT NULL OR lead_id IS NOT NULL)
);
CREATE INDEX history_contact ON history (contact_id, occurred_at) WHERE contact_id IS NOT NULL;
CREATE INDEX history_lead ON history (lead_id, occurred_at) WHERE lead_id IS NOT NULL;

-- What a person must look at; pushed live to connected screens (NOTIFY dms_notifications).
CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    recipient_id uuid NOT NULL REFERENCES staff (id),
    kind text NOT NULL,
    title text NOT NULL,
    body text,
    lead_id uuid REFERENCES leads (id),
    contact_id uuid REFERENCES contacts (id),
    source_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    UNIQUE (recipient_id, kind, source_id)
);
CREATE INDEX notifications_recipient ON notifications (recipient_id, created_at DESC);

-- Durable deadlines: a lead's triage and response SLAs, fired by whichever replica gets there first.
CREATE TABLE deadlines (
    lead_id uuid NOT NULL REFERENCES leads (id),
    kind text NOT NULL CHECK (kind IN ('triage', 'response')),
    due_at timestamptz NOT NULL,
    fired_at timestamptz,
    cancelled_at timestamptz,
    PRIMARY KEY (lead_id, kind)
);
CREATE INDEX deadlines_pending ON deadlines (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

-- Responses of requests sent with an Idempotency-Key, replayed when the key comes again.
CREATE TABLE idempotency_keys (
    key text NOT NULL,
    operation text NOT NULL,
    status integer NOT NULL,
    body bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, operation)
);

-- Round-robin position per department for auto-assignment.
CREATE TABLE assignment_cursor (
    department_code text PRIMARY KEY REFERENCES departments (code),
    last_manager_id uuid
);
