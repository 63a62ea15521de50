-- Voicemail, announcements, music on hold and ringback tones (SPEC F5, F7).

-- An audio file as stored: `path` (relative to the data folder) is the converted WAV the media
-- path plays (8 kHz mono 16-bit, levelled); `sha256` is that file's digest and
-- `source_sha256` the digest of the file as uploaded (a file given again changes nothing).
ALTER TABLE audio_files ADD COLUMN source_sha256 CHAR(64) NULL;
ALTER TABLE audio_files ADD COLUMN original_name VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE audio_files ADD COLUMN duration_ms INT UNSIGNED NOT NULL DEFAULT 0;

-- Messages are listed per mailbox, new ones first, oldest first; a message file has one row.
CREATE INDEX messages_box_idx ON voicemail_messages (box_id, is_new, received_at);
CREATE UNIQUE INDEX messages_path_uq ON voicemail_messages (path);

-- Voice-to-mail (F5.5): one row per message to e-mail. A row stays until the mail was
-- accepted by the SMTP server; failures are retried later (next_attempt_at).
CREATE TABLE voicemail_outbox (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    message_id INT UNSIGNED NOT NULL,
    recipient VARCHAR(255) NOT NULL,
    attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    last_error VARCHAR(255) NULL,
    sent_at DATETIME NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT outbox_message_fk FOREIGN KEY (message_id) REFERENCES voicemail_messages(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE INDEX outbox_due_idx ON voicemail_outbox (sent_at, next_attempt_at);
