-- Per-user sign-in lockout: consecutive wrong passwords, and until when the user is locked. Kept in
-- the database so a restart does not lift it; `npm run users -- unlock NAME` does.
ALTER TABLE console.users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0;
ALTER TABLE console.users ADD COLUMN locked_until timestamptz;
