-- The Virtual PBX's own tables. Every tenant-owned row carries tenant_id; deleting a tenant
-- removes everything it owns (ON DELETE CASCADE), and nothing else references across tenants.
-- SIP passwords are NOT here: they live as HA1 digests in Kamailio's `subscriber` table,
-- keyed by (username, domain = the tenant's SIP domain).

CREATE TABLE platform_settings (
    name VARCHAR(64) PRIMARY KEY NOT NULL,
    value VARCHAR(255) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE tenants (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    slug VARCHAR(32) NOT NULL,
    name VARCHAR(128) NOT NULL,
    domain VARCHAR(64) NOT NULL,
    timezone VARCHAR(64) NOT NULL DEFAULT 'Europe/Zurich',
    access_code TINYINT(1) NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT tenants_slug_uq UNIQUE (slug),
    CONSTRAINT tenants_domain_uq UNIQUE (domain)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE users (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    extension VARCHAR(6) NOT NULL,
    name VARCHAR(128) NOT NULL,
    username VARCHAR(64) NOT NULL,
    direct_number VARCHAR(20) NULL,
    last_call_end DATETIME NULL,
    CONSTRAINT users_ext_uq UNIQUE (tenant_id, extension),
    CONSTRAINT users_username_uq UNIQUE (tenant_id, username),
    -- a direct number belongs to one subscriber of the whole platform (on-net routing, F1.4)
    CONSTRAINT users_direct_number_uq UNIQUE (direct_number),
    CONSTRAINT users_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE audio_files (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    kind ENUM('announcement', 'music_on_hold', 'ringback', 'greeting') NOT NULL,
    name VARCHAR(128) NOT NULL,
    path VARCHAR(512) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    selected TINYINT(1) NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT audio_name_uq UNIQUE (tenant_id, kind, name),
    CONSTRAINT audio_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE time_ranges (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL,
    -- weekdays as a comma-separated subset of mon,tue,wed,thu,fri,sat,sun
    days SET('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun') NOT NULL,
    is_default TINYINT(1) NOT NULL DEFAULT 0,   -- "Office hours": cannot be deleted
    CONSTRAINT time_ranges_name_uq UNIQUE (tenant_id, name),
    CONSTRAINT time_ranges_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE time_range_periods (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    time_range_id INT UNSIGNED NOT NULL,
    start_minute SMALLINT UNSIGNED NOT NULL,   -- minutes after midnight, included
    end_minute SMALLINT UNSIGNED NOT NULL,     -- minutes after midnight, excluded; 1440 = 24:00
    CONSTRAINT periods_range_fk FOREIGN KEY (time_range_id) REFERENCES time_ranges(id) ON DELETE CASCADE,
    CONSTRAINT periods_order_ck CHECK (start_minute < end_minute AND end_minute <= 1440)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE holidays (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL,
    first_day DATE NOT NULL,
    last_day DATE NOT NULL,                    -- equal to first_day for a single day
    CONSTRAINT holidays_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE,
    CONSTRAINT holidays_order_ck CHECK (first_day <= last_day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE global_numbers (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    number VARCHAR(20) NOT NULL,               -- E.164
    label VARCHAR(128) NOT NULL DEFAULT '',
    outside_kind ENUM('group', 'voicemail', 'announcement', 'number', 'hangup') NOT NULL DEFAULT 'hangup',
    outside_target VARCHAR(128) NULL,          -- group name, voicemail number, announcement name or external number
    CONSTRAINT global_numbers_uq UNIQUE (number),
    CONSTRAINT global_numbers_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE call_groups (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL,
    short_number SMALLINT UNSIGNED NOT NULL,
    distribution ENUM('cyclic', 'hierarchical', 'simultaneous', 'least_active', 'random') NOT NULL,
    rings TINYINT UNSIGNED NOT NULL DEFAULT 3,
    cycles TINYINT UNSIGNED NOT NULL DEFAULT 1,
    ringback_audio_id INT UNSIGNED NULL,
    no_answer_kind ENUM('group', 'voicemail', 'announcement', 'number', 'hangup') NOT NULL DEFAULT 'hangup',
    no_answer_target VARCHAR(128) NULL,
    last_answered_user_id INT UNSIGNED NULL,   -- cyclic distribution's pointer, kept across restarts
    CONSTRAINT call_groups_name_uq UNIQUE (tenant_id, name),
    CONSTRAINT call_groups_short_uq UNIQUE (tenant_id, short_number),
    CONSTRAINT call_groups_short_ck CHECK (short_number BETWEEN 200 AND 999),
    CONSTRAINT call_groups_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE,
    CONSTRAINT call_groups_ringback_fk FOREIGN KEY (ringback_audio_id) REFERENCES audio_files(id),
    CONSTRAINT call_groups_last_fk FOREIGN KEY (last_answered_user_id) REFERENCES users(id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE group_members (
    group_id INT UNSIGNED NOT NULL,
    user_id INT UNSIGNED NOT NULL,
    position SMALLINT UNSIGNED NOT NULL,
    PRIMARY KEY (group_id, user_id),
    CONSTRAINT members_group_fk FOREIGN KEY (group_id) REFERENCES call_groups(id) ON DELETE CASCADE,
    CONSTRAINT members_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE number_routes (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    number_id INT UNSIGNED NOT NULL,
    position SMALLINT UNSIGNED NOT NULL,       -- first matching range wins
    time_range_id INT UNSIGNED NOT NULL,
    dest_kind ENUM('group', 'voicemail', 'announcement', 'number', 'hangup') NOT NULL,
    dest_target VARCHAR(128) NULL,
    CONSTRAINT routes_number_fk FOREIGN KEY (number_id) REFERENCES global_numbers(id) ON DELETE CASCADE,
    CONSTRAINT routes_range_fk FOREIGN KEY (time_range_id) REFERENCES time_ranges(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE voicemail_boxes (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    number_id INT UNSIGNED NOT NULL,
    mode ENUM('enabled', 'greeting_only', 'disabled') NOT NULL DEFAULT 'enabled',
    pin_hash VARCHAR(255) NULL,
    email VARCHAR(255) NULL,
    language CHAR(2) NOT NULL DEFAULT 'fr',
    greeting_audio_id INT UNSIGNED NULL,
    failed_pin_attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    locked_until DATETIME NULL,
    CONSTRAINT voicemail_number_uq UNIQUE (number_id),
    CONSTRAINT voicemail_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE,
    CONSTRAINT voicemail_number_fk FOREIGN KEY (number_id) REFERENCES global_numbers(id) ON DELETE CASCADE,
    CONSTRAINT voicemail_greeting_fk FOREIGN KEY (greeting_audio_id) REFERENCES audio_files(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE voicemail_messages (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    box_id INT UNSIGNED NOT NULL,
    caller VARCHAR(128) NOT NULL,
    received_at DATETIME NOT NULL,
    duration_ms INT UNSIGNED NOT NULL,
    path VARCHAR(512) NOT NULL,
    is_new TINYINT(1) NOT NULL DEFAULT 1,
    emailed_at DATETIME NULL,
    CONSTRAINT messages_box_fk FOREIGN KEY (box_id) REFERENCES voicemail_boxes(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE presentation_rules (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    number VARCHAR(20) NOT NULL,               -- a number the tenant owns
    CONSTRAINT presentation_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE presentation_rule_users (
    rule_id INT UNSIGNED NOT NULL,
    user_id INT UNSIGNED NOT NULL,
    PRIMARY KEY (rule_id, user_id),
    CONSTRAINT presentation_users_rule_fk FOREIGN KEY (rule_id) REFERENCES presentation_rules(id) ON DELETE CASCADE,
    CONSTRAINT presentation_users_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE directory_contacts (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL,
    number VARCHAR(32) NOT NULL,
    short_code VARCHAR(8) NULL,                -- dialled as ##code
    CONSTRAINT directory_short_uq UNIQUE (tenant_id, short_code),
    CONSTRAINT directory_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The web UI's accounts: platform operators (tenant_id NULL) and tenant administrators.
CREATE TABLE admin_accounts (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_id INT UNSIGNED NULL,
    login VARCHAR(128) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    language CHAR(2) NOT NULL DEFAULT 'fr',
    CONSTRAINT admin_login_uq UNIQUE (login),
    CONSTRAINT admin_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
