-- Connections (Ditto's connectivity) and their journal, shaped like policies (see 0002): `doc` is the
-- connection's Ditto JSON; a deleted connection stays as a tombstone so its revisions go on.

CREATE TABLE connections (
    connection_id TEXT PRIMARY KEY,
    revision      INTEGER NOT NULL,
    created       TEXT,
    modified      TEXT,
    deleted       INTEGER NOT NULL,
    doc           BLOB
);

CREATE TABLE connection_journal (
    connection_id TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    timestamp     TEXT NOT NULL,
    action        TEXT NOT NULL,
    path          TEXT NOT NULL,
    value         BLOB,
    snapshot      BLOB NULL,
    PRIMARY KEY (connection_id, revision)
) WITHOUT ROWID;
