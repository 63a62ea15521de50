-- The web UI's security state: server-side sessions, sign-in throttling, API tokens.
-- Secrets are never stored in clear: a session cookie and an API token are random values
-- of which only the SHA-256 is kept here.

ALTER TABLE admin_accounts ADD COLUMN created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- One row per browser session (signed-in or not: the CSRF token of the sign-in form lives
-- here too). `data` is the session's JSON; a row past expires_at is dead.
CREATE TABLE admin_sessions (
    token_hash CHAR(64) PRIMARY KEY NOT NULL,
    account_id INT UNSIGNED NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME NOT NULL,
    CONSTRAINT admin_sessions_account_fk FOREIGN KEY (account_id) REFERENCES admin_accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX admin_sessions_expires_idx ON admin_sessions (expires_at);

-- Failed sign-ins per (login, address): too many in a row lock that pair for a while.
CREATE TABLE admin_login_failures (
    login VARCHAR(128) NOT NULL,
    address VARCHAR(64) NOT NULL,
    failures SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    last_failure_at DATETIME NOT NULL,
    locked_until DATETIME NULL,
    PRIMARY KEY (login, address)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Bearer tokens of the JSON API (/api/v1), each belonging to one administrator account.
CREATE TABLE admin_api_tokens (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    account_id INT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_used_at DATETIME NULL,
    CONSTRAINT admin_api_tokens_hash_uq UNIQUE (token_hash),
    CONSTRAINT admin_api_tokens_account_fk FOREIGN KEY (account_id) REFERENCES admin_accounts(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
