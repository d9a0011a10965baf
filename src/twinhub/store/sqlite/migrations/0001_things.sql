-- Things and their journal. Documents are orjson bytes; timestamps are ISO-8601 UTC strings with
-- microseconds and a 'Z', so they order correctly as text.

-- The current state of each thing; a deleted thing stays as a tombstone (deleted = 1) so that a thing
-- created again under the same id continues its revision count.
CREATE TABLE things (
    thing_id TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    created  TEXT,
    modified TEXT,
    deleted  INTEGER NOT NULL,
    doc      BLOB
);

-- One row per event. `path` is the JSON pointer string ('/' for the root); `snapshot` holds the full
-- thing after the event ({"created", "deleted", "doc"}) on creations and every SNAPSHOT_INTERVAL-th
-- revision, so rebuilding a past revision replays a bounded number of events.
CREATE TABLE thing_journal (
    thing_id  TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    action    TEXT NOT NULL,
    path      TEXT NOT NULL,
    value     BLOB,
    snapshot  BLOB NULL,
    PRIMARY KEY (thing_id, revision)
) WITHOUT ROWID;

-- Timestamp lookups per thing; the index carries the primary key, so it answers "which revisions by
-- then" alone.
CREATE INDEX thing_journal_by_time ON thing_journal (thing_id, timestamp);

-- "The latest snapshot at or before a revision" without walking the events in between.
CREATE INDEX thing_journal_snapshots ON thing_journal (thing_id, revision) WHERE snapshot IS NOT NULL;
