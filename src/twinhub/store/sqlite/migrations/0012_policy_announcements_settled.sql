-- The settled announcements whose grace period ends (`give_up_at`), which every claim round drops and whose
-- existence decides whether a round takes the write lock: found by index, so an idle worker's poll does not scan
-- the whole schedule every second.

CREATE INDEX policy_announcements_settled ON policy_announcements (give_up_at)
    WHERE done = 1 AND give_up_at IS NOT NULL;
