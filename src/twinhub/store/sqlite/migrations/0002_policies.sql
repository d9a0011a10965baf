-- Policies and their journal, shaped like things and their journal (see 0001).

CREATE TABLE policies (
    policy_id TEXT PRIMARY KEY,
    revision  INTEGER NOT NULL,
    created   TEXT,
    modified  TEXT,
    deleted   INTEGER NOT NULL,
    doc       BLOB
);

CREATE TABLE policy_journal (
    policy_id TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    action    TEXT NOT NULL,
    path      TEXT NOT NULL,
    value     BLOB,
    snapshot  BLOB NULL,
    PRIMARY KEY (policy_id, revision)
) WITHOUT ROWID;
