-- A broker that lost its log (the local one keeps it in memory) numbers offsets from zero again,
-- so topic/partition/offset does not identify an event; its id does.
ALTER TABLE consumed_events DROP CONSTRAINT consumed_events_topic_partition_offset_key;
CREATE INDEX consumed_events_position ON consumed_events (topic, partition, "offset");
