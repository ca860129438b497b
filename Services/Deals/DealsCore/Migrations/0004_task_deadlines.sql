-- When a task's due time passed without an outcome (set once, by whichever replica saw it first).
ALTER TABLE tasks ADD COLUMN overdue_at timestamptz;
CREATE INDEX tasks_due_open ON tasks (due_at) WHERE completed_at IS NULL AND overdue_at IS NULL AND due_at IS NOT NULL;
