-- Marketing exports as taken: when (a later export "since" this one takes what changed after),
-- for which segment, how many rows, and what was left out (invalid or duplicate addresses, …).
CREATE TABLE exports (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('mailchimp', 'call_list')),
    segment text NOT NULL,
    taken_at timestamptz NOT NULL,
    since_export uuid REFERENCES exports (id),
    rows integer NOT NULL,
    skipped jsonb NOT NULL,
    -- A call list's rows (contact, name, company, phones, manager), for tasks made from it later.
    entries jsonb NOT NULL DEFAULT '[]'
);

-- The "call the client" tasks made in deals from a call list's rows: once per row.
CREATE TABLE call_list_tasks (
    export_id uuid NOT NULL REFERENCES exports (id),
    contact_id uuid NOT NULL,
    task_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (export_id, contact_id)
);
