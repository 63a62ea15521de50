-- Digest authentication compares user names exactly as stored (security issue 21): with the
-- database's default collation, `ANNA`, `Anna` and `ánna` all found anna's SIP account, so a
-- password guesser could rotate spellings past the edge's guard. Kamailio's auth_db queries
-- `subscriber` by username: a binary collation without padding makes that lookup exact
-- (`utf8mb4_bin` pads with spaces: "alice " found alice's row). (The web UI and
-- `vpbx` keep refusing two users whose names differ only by case: `users` is unchanged.)
ALTER TABLE subscriber MODIFY `username` VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin DEFAULT '' NOT NULL;
