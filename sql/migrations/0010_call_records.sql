-- One record per call (SPEC F11), written from the routing's event spool by vpbx.cdr.
-- tenant_id is the calling user's tenant (or the called one for calls from the carrier);
-- callee_tenant_id the tenant that received it; both see the record.
CREATE TABLE call_records (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    call_id VARCHAR(255) NOT NULL,
    tenant_id INT UNSIGNED NULL,
    callee_tenant_id INT UNSIGNED NULL,
    caller VARCHAR(128) NULL,
    dialled VARCHAR(128) NULL,
    callee VARCHAR(128) NULL,
    started_at DATETIME(3) NULL,
    answered_at DATETIME(3) NULL,
    ended_at DATETIME(3) NULL,
    duration_s INT AS (IF(answered_at IS NULL OR ended_at IS NULL, 0,
                          TIMESTAMPDIFF(SECOND, answered_at, ended_at))) VIRTUAL,
    outcome ENUM('answered', 'missed', 'busy', 'failed', 'voicemail') NULL,
    final_code SMALLINT UNSIGNED NULL,
    group_name VARCHAR(128) NULL,
    member VARCHAR(16) NULL,
    on_net TINYINT(1) NOT NULL DEFAULT 1,
    route VARCHAR(512) NULL,
    CONSTRAINT call_records_call_uq UNIQUE (call_id),
    INDEX call_records_tenant_started (tenant_id, started_at),
    INDEX call_records_callee_tenant_started (callee_tenant_id, started_at),
    CONSTRAINT call_records_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id) ON DELETE CASCADE,
    CONSTRAINT call_records_callee_tenant_fk FOREIGN KEY (callee_tenant_id) REFERENCES tenants(id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
