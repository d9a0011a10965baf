-- The schedule of subject deletion announcements (twinhub/store/announcements.py): one row per policy and
-- subject with an `announcement`. Times are microseconds since the epoch; `attempt` fences the workers that claim.

CREATE TABLE policy_announcements (
    policy_id    text COLLATE "C" NOT NULL,
    subject_id   text COLLATE "C" NOT NULL,
    due_at       bigint,
    delete_at    text NOT NULL,
    give_up_at   bigint,
    gone         smallint NOT NULL,
    when_deleted smallint NOT NULL,
    labels       text NOT NULL,
    timeout_ms   bigint NOT NULL,
    done         smallint NOT NULL DEFAULT 0,
    attempt      bigint NOT NULL DEFAULT 0,
    retries      integer NOT NULL DEFAULT 0,
    lease_until  bigint,
    PRIMARY KEY (policy_id, subject_id)
);

CREATE INDEX policy_announcements_due ON policy_announcements (due_at) WHERE done = 0 AND due_at IS NOT NULL;
