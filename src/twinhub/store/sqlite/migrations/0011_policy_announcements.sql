-- The schedule of subject deletion announcements (twinhub/store/announcements.py): one row per policy and
-- subject with an `announcement`. Times are microseconds since the epoch; `attempt` fences the workers that claim.

CREATE TABLE policy_announcements (
    policy_id    TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    due_at       INTEGER,
    delete_at    TEXT NOT NULL,
    give_up_at   INTEGER,
    gone         INTEGER NOT NULL,
    when_deleted INTEGER NOT NULL,
    labels       TEXT NOT NULL,
    timeout_ms   INTEGER NOT NULL,
    done         INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    retries      INTEGER NOT NULL DEFAULT 0,
    lease_until  INTEGER,
    PRIMARY KEY (policy_id, subject_id)
) WITHOUT ROWID;

CREATE INDEX policy_announcements_due ON policy_announcements (due_at) WHERE done = 0 AND due_at IS NOT NULL;
