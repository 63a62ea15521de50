-- API tokens may expire (security issue 21): past expires_at a token is refused (401, saying
-- so). NULL: no expiry, as every token made before this migration.
ALTER TABLE admin_api_tokens ADD COLUMN expires_at DATETIME NULL;
