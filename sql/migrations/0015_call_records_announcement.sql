-- A call that an announcement answered is recorded as such (issue 25): the outcomes of
-- vpbx.records.call_records.OUTCOMES. (Calls that reached a voicemail were recorded
-- "answered" by nobody before; their records stay as they were.)
ALTER TABLE call_records MODIFY outcome
    ENUM('answered', 'missed', 'busy', 'failed', 'voicemail', 'announcement') NULL;
