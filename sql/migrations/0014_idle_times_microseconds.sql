-- Least active (issue 25): the end of each user's last call is kept to the microsecond. To
-- the second, members whose calls ended within the same second tied, and the tie went to
-- the group's list order instead of the member idle longest. Existing values keep their
-- whole seconds.
ALTER TABLE users MODIFY last_call_end DATETIME(6) NULL;
