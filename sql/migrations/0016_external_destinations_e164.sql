-- External destinations (`{number: ...}` of ranges, outside hours and no-answer rules) are
-- stored in E.164 from now on (issue 25): they were stored as written, and read at each call
-- with the tenant's access code as it was then, so turning the access code off made a stored
-- "00217211112" (0 + 021 721 11 12) a foreign +217211112. Each one is converted here as it is
-- read today (vpbx.model.numbers.destination_number with the tenant's current access code and
-- Swiss national numbers); one that is not understood stays as written and keeps being read
-- at call time.
UPDATE call_groups g JOIN tenants t ON t.id = g.tenant_id
   SET g.no_answer_target = CASE
       WHEN t.access_code <> 0 AND g.no_answer_target REGEXP '^00[1-9][0-9]{8}$'
            THEN CONCAT('+41', SUBSTRING(g.no_answer_target, 3))
       WHEN t.access_code <> 0 AND g.no_answer_target REGEXP '^000[1-9][0-9]{6,14}$'
            THEN CONCAT('+', SUBSTRING(g.no_answer_target, 4))
       WHEN g.no_answer_target REGEXP '^0[1-9][0-9]{8}$'
            THEN CONCAT('+41', SUBSTRING(g.no_answer_target, 2))
       WHEN g.no_answer_target REGEXP '^00[1-9][0-9]{6,14}$'
            THEN CONCAT('+', SUBSTRING(g.no_answer_target, 3))
       ELSE g.no_answer_target END
 WHERE g.no_answer_kind = 'number';

UPDATE global_numbers n JOIN tenants t ON t.id = n.tenant_id
   SET n.outside_target = CASE
       WHEN t.access_code <> 0 AND n.outside_target REGEXP '^00[1-9][0-9]{8}$'
            THEN CONCAT('+41', SUBSTRING(n.outside_target, 3))
       WHEN t.access_code <> 0 AND n.outside_target REGEXP '^000[1-9][0-9]{6,14}$'
            THEN CONCAT('+', SUBSTRING(n.outside_target, 4))
       WHEN n.outside_target REGEXP '^0[1-9][0-9]{8}$'
            THEN CONCAT('+41', SUBSTRING(n.outside_target, 2))
       WHEN n.outside_target REGEXP '^00[1-9][0-9]{6,14}$'
            THEN CONCAT('+', SUBSTRING(n.outside_target, 3))
       ELSE n.outside_target END
 WHERE n.outside_kind = 'number';

UPDATE number_routes r JOIN global_numbers n ON n.id = r.number_id JOIN tenants t ON t.id = n.tenant_id
   SET r.dest_target = CASE
       WHEN t.access_code <> 0 AND r.dest_target REGEXP '^00[1-9][0-9]{8}$'
            THEN CONCAT('+41', SUBSTRING(r.dest_target, 3))
       WHEN t.access_code <> 0 AND r.dest_target REGEXP '^000[1-9][0-9]{6,14}$'
            THEN CONCAT('+', SUBSTRING(r.dest_target, 4))
       WHEN r.dest_target REGEXP '^0[1-9][0-9]{8}$'
            THEN CONCAT('+41', SUBSTRING(r.dest_target, 2))
       WHEN r.dest_target REGEXP '^00[1-9][0-9]{6,14}$'
            THEN CONCAT('+', SUBSTRING(r.dest_target, 3))
       ELSE r.dest_target END
 WHERE r.dest_kind = 'number';
