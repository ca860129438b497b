-- Reasons a customer may refuse; `creates_quality_task` gives the head of department a task to
-- check the manager's work (reason `not_suitable`).
CREATE TABLE loss_reasons (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    title text NOT NULL,
    creates_quality_task boolean NOT NULL DEFAULT false
);

-- Equipment types that need certification by an outside body before commissioning.
CREATE TABLE certification_required_types (
    equipment_type text PRIMARY KEY CHECK (equipment_type ~ '^[a-z][a-z0-9_]*$')
);
