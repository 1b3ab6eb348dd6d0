-- The not-woken list at city scale is read by area and by how long each person has waited.
CREATE INDEX callouts_not_woken ON callout.callouts (area_code, created_at) WHERE state = 'NOT_WOKEN';

-- Door-to-door hand-off: a township's (or village's) not-woken persons handed to its head or grid
-- worker, who goes to their doors; each person's outcome is reported back until the task is closed.
CREATE TABLE callout.field_tasks (
  id text PRIMARY KEY,
  warning_id text NOT NULL REFERENCES callout.warnings (id),
  area_code text NOT NULL,
  area_name text,
  assignee_person_id text NOT NULL,
  assignee_name text NOT NULL,
  assignee_role text NOT NULL,
  assignee_phone text NOT NULL,
  opened_by text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz
);
CREATE INDEX field_tasks_open ON callout.field_tasks (opened_at) WHERE closed_at IS NULL;

CREATE TABLE callout.field_task_items (
  task_id text NOT NULL REFERENCES callout.field_tasks (id),
  callout_id text NOT NULL REFERENCES callout.callouts (id),
  outcome text CHECK (outcome IN ('reached', 'not-found', 'moved')),
  note text,
  reported_by text,                        -- who reported it (the console user's actor)
  reported_at timestamptz,
  PRIMARY KEY (task_id, callout_id)
);
CREATE INDEX field_task_items_callout ON callout.field_task_items (callout_id);
