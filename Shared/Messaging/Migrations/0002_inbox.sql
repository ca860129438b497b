-- Events a consumer group applied (or sent to its dead-letter topic), recorded in the same
-- transaction as their effects: a redelivered id is skipped.
CREATE TABLE inbox (
    consumer_group text NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    outcome text NOT NULL DEFAULT 'applied' CHECK (outcome IN ('applied', 'ignored', 'dead_lettered')),
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);
