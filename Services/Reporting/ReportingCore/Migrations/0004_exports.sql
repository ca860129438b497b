-- Marketing exports as taken: when (a later export "since" this one takes what changed after),
-- for which segment, how many rows, and what was left out (invalid or duplicate addresses, …).
CREATE TABLE exports (
    id uuid PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('mailchimp', 'call_list')),
    segment text NOT NULL,
    taken_at timestamptz NOT NULL,
    since_export uuid REFERENCES exports (id),
    rows integer NOT NULL,
    skipped jsonb NOT NULL
);
