-- Every change to a tenant's configuration bumps its config_version, so the SIP routing can
-- cache a tenant's configuration and still use a change on the very next call.
ALTER TABLE tenants ADD COLUMN config_version INT UNSIGNED NOT NULL DEFAULT 0;
