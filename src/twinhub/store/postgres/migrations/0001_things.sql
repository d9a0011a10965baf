-- Things and their journal, shaped as in the embedded store (twinhub/store/sqlite/migrations), with the
-- search columns of things from the start.
--
-- Documents, event values and snapshots are the orjson bytes as BYTEA: written and read without a parse
-- on either side, and returned exactly as written (JSONB would reorder keys and respell numbers).
-- Every text column that is compared or sorted is COLLATE "C": code point order, as SQLite's BINARY
-- collation and MongoDB's string order, whatever the database's default collation is. Timestamps are
-- ISO-8601 UTC text with microseconds and a 'Z', so they order correctly as text.

-- A deleted thing stays as a tombstone (deleted = 1), so a thing created again continues its revisions.
CREATE TABLE things (
    thing_id  text COLLATE "C" PRIMARY KEY,
    revision  bigint NOT NULL,
    created   text COLLATE "C",
    modified  text COLLATE "C",
    deleted   smallint NOT NULL,
    doc       bytea,
    namespace text COLLATE "C",
    policy_id text COLLATE "C"
);
CREATE INDEX things_by_namespace ON things (namespace, thing_id);
CREATE INDEX things_by_policy ON things (policy_id);

-- One row per event; `snapshot` holds the full thing ({"created", "deleted", "doc"}) on creations and
-- every SNAPSHOT_INTERVAL-th revision. Rows are only ever appended, in commit order.
-- Plain B-trees, no BRIN and no partitions: every read is one thing's range (thing_id, revision or
-- timestamp), which a B-tree answers in a few pages however large the table; BRIN only helps scans
-- by time across all things, and partitioning by time would make each of those reads probe every
-- partition. Both pay once the journal is pruned by age (drop a month's partition instead of DELETE).
CREATE TABLE thing_journal (
    thing_id  text COLLATE "C" NOT NULL,
    revision  bigint NOT NULL,
    timestamp text COLLATE "C" NOT NULL,
    action    text NOT NULL,
    path      text NOT NULL,
    value     bytea,
    snapshot  bytea,
    PRIMARY KEY (thing_id, revision)
);
CREATE INDEX thing_journal_by_time ON thing_journal (thing_id, timestamp);
-- "The latest snapshot at or before a revision" without walking the events in between.
CREATE INDEX thing_journal_snapshots ON thing_journal (thing_id, revision) WHERE snapshot IS NOT NULL;
