-- The outbox, not the broker, is the source of truth (ARCHITECTURE.md, delivery rule 3). Each
-- published row keeps where the broker stored it, so that rows a broker lost can be found again.
ALTER TABLE outbox
    ADD COLUMN kafka_partition integer,
    ADD COLUMN kafka_offset bigint,
    -- How often the row was published again because the broker lost it (or an operator asked).
    ADD COLUMN replays integer NOT NULL DEFAULT 0;
CREATE INDEX outbox_acknowledged ON outbox (topic, kafka_partition, kafka_offset) WHERE published_at IS NOT NULL;

-- What the broker acknowledged to us, per partition: the topic's identity (its id changes when the
-- topic is re-created), the highest offset it stored, and the first offset of the latest send. A
-- topic with another id lost everything; a partition that ends at or below the latest send's first
-- offset lost rows. (The end is compared with the latest send, not the highest offset, because the
-- local broker reports the end as one past the first record of its last record batch.)
CREATE TABLE outbox_partitions (
    topic text NOT NULL,
    partition integer NOT NULL,
    topic_id text NOT NULL,
    acknowledged_offset bigint NOT NULL,
    latest_send_offset bigint NOT NULL,
    PRIMARY KEY (topic, partition)
);

-- The cluster the rows were published to; another cluster id means everything may be gone.
CREATE TABLE outbox_cluster (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    cluster_id text NOT NULL
);
