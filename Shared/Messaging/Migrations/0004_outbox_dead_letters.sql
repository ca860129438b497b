-- A row the broker refuses for good (larger than it takes, an invalid record or topic) is set
-- aside instead of being retried forever: it stops holding up the rows after it, stays visible
-- (GET /v1/outbox/dead-letters, the dms_outbox_dead_letters gauge) and can be sent again once the
-- cause is fixed (POST /v1/outbox/dead-letters/retry). It is never pruned.
ALTER TABLE outbox
    ADD COLUMN dead_at timestamptz,
    ADD COLUMN dead_reason text;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (position) WHERE published_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (position) WHERE dead_at IS NOT NULL;
