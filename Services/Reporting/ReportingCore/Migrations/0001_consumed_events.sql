-- Every event reporting consumed, kept so that a projection rebuild replays exactly the same
-- history whatever the broker's retention.
CREATE TABLE consumed_events (
    id uuid PRIMARY KEY,
    topic text NOT NULL,
    partition integer NOT NULL,
    "offset" bigint NOT NULL,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    envelope jsonb NOT NULL,
    consumed_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, "offset")
);
CREATE INDEX consumed_events_occurred ON consumed_events (occurred_at);
