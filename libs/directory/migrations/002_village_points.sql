-- A village's point (WGS-84 latitude / longitude), from the roster: a CAP polygon or circle reaches
-- the villages whose point lies inside. Optional; both or neither.
ALTER TABLE directory.divisions ADD COLUMN IF NOT EXISTS lat double precision CHECK (lat BETWEEN -90 AND 90);
ALTER TABLE directory.divisions ADD COLUMN IF NOT EXISTS lon double precision CHECK (lon BETWEEN -180 AND 180);
ALTER TABLE directory.divisions DROP CONSTRAINT IF EXISTS divisions_point_whole;
ALTER TABLE directory.divisions ADD CONSTRAINT divisions_point_whole CHECK ((lat IS NULL) = (lon IS NULL));
