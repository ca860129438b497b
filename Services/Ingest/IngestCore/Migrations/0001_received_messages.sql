-- Every connector delivery, deduplicated at the door by the connector's own id
-- (PBX linkedid/UNIQUEID, Message-ID, chat id).
CREATE TABLE received_messages (
    id uuid PRIMARY KEY,
    connector text NOT NULL CHECK (connector IN ('pbx', 'mail', 'forms', 'chat')),
    source_id text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (connector, source_id)
);
