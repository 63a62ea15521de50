-- A platform-wide configuration generation, bumped by every provisioning change (vpbx, web
-- UI, API) in the same transaction. The SIP routing caches what it reads per generation.
INSERT INTO platform_settings (name, value) VALUES ('config_generation', '0');
