-- Mails, chats and web forms as inquiries: what was said, by whom, with the connector's id.
CREATE TABLE inquiries (
    id uuid PRIMARY KEY,
    channel text NOT NULL CHECK (channel IN ('chat', 'web_form', 'mail')),
    connector text NOT NULL CHECK (connector IN ('mail', 'forms', 'chat')),
    source_id text NOT NULL,
    sender_name text,
    sender_email text CHECK (sender_email = lower(sender_email)),
    sender_phone_raw text,
    sender_phone_e164 text,
    company text,
    subject text,
    body text NOT NULL,
    page_url text,
    utm jsonb NOT NULL DEFAULT '{}',
    -- The message exactly as received (mail: the RFC 5322 bytes; form and chat: the JSON).
    raw bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connector, source_id)
);
CREATE INDEX inquiries_received_at ON inquiries (received_at);

-- Attachments of mails: metadata always, bytes up to the configured limit.
CREATE TABLE inquiry_attachments (
    id uuid PRIMARY KEY,
    inquiry_id uuid NOT NULL REFERENCES inquiries (id),
    position integer NOT NULL,
    name text,
    content_type text NOT NULL,
    size integer NOT NULL CHECK (size >= 0),
    truncated boolean NOT NULL,
    content bytea,
    UNIQUE (inquiry_id, position)
);

-- What could not be read is kept whole, with the reason, until an operator retries it.
CREATE TABLE quarantine (
    id uuid PRIMARY KEY,
    connector text NOT NULL,
    source_id text NOT NULL,
    reason text NOT NULL,
    raw bytea NOT NULL,
    state text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'released')),
    attempts integer NOT NULL DEFAULT 1,
    inquiry_id uuid REFERENCES inquiries (id),
    received_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quarantine_held ON quarantine (received_at) WHERE state = 'held';

ALTER TABLE received_messages ADD COLUMN quarantined boolean NOT NULL DEFAULT false;
