-- A position per consumed event, in the order they were stored: projections tail the log by it
-- (and a rebuild replays it from the start).
ALTER TABLE consumed_events ADD COLUMN position bigserial;
CREATE UNIQUE INDEX consumed_events_by_position ON consumed_events (position);
