-- Numbers belong to the carrier (security issue 21): the platform operator assigns numbers
-- and blocks of numbers to tenants, and a tenant uses only numbers assigned to it (global
-- numbers, direct numbers, caller ID). `block` is one number "+41215667955", a range of
-- numbers of the same length "+41215667900-+41215667999" or a prefix "+4121566*"
-- (vpbx/number_blocks.py; blocks do not overlap). The tenant is named by its short name, so
-- a platform file can assign numbers before the tenant file that uses them is applied.
CREATE TABLE number_assignments (
    id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    tenant_slug VARCHAR(32) NOT NULL,
    block VARCHAR(40) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT number_assignments_block_uq UNIQUE (block),
    INDEX number_assignments_tenant (tenant_slug)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Existing platforms keep working: every number a tenant already uses is assigned to it,
-- one number at a time (the operator may replace them by blocks later). A number two tenants
-- use (which the rules never allowed) goes to one of them instead of failing the migration.
INSERT IGNORE INTO number_assignments (tenant_slug, block)
SELECT t.slug, n.number FROM global_numbers n JOIN tenants t ON t.id = n.tenant_id
UNION
SELECT t.slug, u.direct_number FROM users u JOIN tenants t ON t.id = u.tenant_id
WHERE u.direct_number IS NOT NULL;
