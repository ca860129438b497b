-- The transaction that stored each event. Positions are taken when a row is inserted, but rows
-- become visible when their transaction commits: with several replicas (or inbox batches) writing
-- the log at once, a row can appear below the position a projection already reached. A tail
-- therefore also reads, by transaction id, the rows of the transactions that were still open at
-- its last read (PostgreSQL's snapshot lists them).
ALTER TABLE consumed_events ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX consumed_events_xid ON consumed_events (xid);
