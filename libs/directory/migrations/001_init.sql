-- The responsible-person directory: divisions, persons, their roles per area, and availability.
-- Resolution reads role assignments by (role, area-code prefix), so the indexes below serve
-- "every flood-control person under 140212" as one index range scan per prefix.
CREATE SCHEMA IF NOT EXISTS directory;

CREATE TABLE directory.divisions (
  code        text PRIMARY KEY CHECK (code ~ '^[0-9]{12}$'),
  name        text NOT NULL,
  level       text NOT NULL CHECK (level IN ('province', 'city', 'county', 'township', 'village')),
  parent_code text REFERENCES directory.divisions (code)
);
CREATE INDEX divisions_code_prefix ON directory.divisions (code text_pattern_ops);
CREATE INDEX divisions_parent ON directory.divisions (parent_code);

CREATE TABLE directory.persons (
  id                 text PRIMARY KEY,            -- the external id from the roster (upsert key)
  name               text NOT NULL,
  mobile             text,                        -- E.164; null means "no number" (a coverage gap)
  alt_phone          text,                        -- E.164, may be a fixed line
  -- Deferred: one import may name a backup or superior that appears later in the same file.
  backup_person_id   text REFERENCES directory.persons (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  superior_person_id text REFERENCES directory.persons (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  verified_at        date,
  active             boolean NOT NULL DEFAULT true,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (backup_person_id IS NULL OR backup_person_id <> id),
  CHECK (superior_person_id IS NULL OR superior_person_id <> id)
);
CREATE INDEX persons_mobile ON directory.persons (mobile);

CREATE TABLE directory.role_assignments (
  person_id text NOT NULL REFERENCES directory.persons (id) ON DELETE CASCADE,
  role      text NOT NULL,
  area_code text NOT NULL REFERENCES directory.divisions (code),
  PRIMARY KEY (person_id, role, area_code)
);
CREATE INDEX role_assignments_role_area ON directory.role_assignments (role, area_code text_pattern_ops);
CREATE INDEX role_assignments_area_prefix ON directory.role_assignments (area_code text_pattern_ops);

-- kind 'leave': away from from_at to to_at, replaced by substitute_person_id (none: unreachable).
-- kind 'on-duty': a person with any on-duty period is reachable only inside one of them.
CREATE TABLE directory.availability (
  id                   bigserial PRIMARY KEY,
  person_id            text NOT NULL REFERENCES directory.persons (id) ON DELETE CASCADE,
  kind                 text NOT NULL CHECK (kind IN ('leave', 'on-duty')),
  from_at              timestamptz NOT NULL,
  to_at                timestamptz NOT NULL,
  substitute_person_id text REFERENCES directory.persons (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  CHECK (to_at > from_at)
);
CREATE INDEX availability_person ON directory.availability (person_id);
