-- One row per call (all legs of a PBX call share its linkedid), assembled from the PBX's live
-- events and CDR rows in whatever order they come; the derived columns are for queries.
CREATE TABLE calls (
    id uuid PRIMARY KEY,
    linked_id text NOT NULL UNIQUE,
    record jsonb NOT NULL,
    direction text NOT NULL,
    caller text,
    called text,
    did text,
    answered_by text,
    started_at timestamptz,
    answered_at timestamptz,
    ended_at timestamptz,
    talk_seconds integer NOT NULL DEFAULT 0,
    recording text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_started_at ON calls (started_at);

-- What each connector delivery became (the call, for PBX events), so that a repeated delivery
-- answers with the same id.
ALTER TABLE received_messages ADD COLUMN subject_id uuid;
