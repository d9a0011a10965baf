-- Connections (Ditto's connectivity) and their journal, shaped like policies (see 0002): `doc` is the
-- connection's Ditto JSON; a deleted connection stays as a tombstone so its revisions go on.

CREATE TABLE connections (
    connection_id text COLLATE "C" PRIMARY KEY,
    revision      bigint NOT NULL,
    created       text COLLATE "C",
    modified      text COLLATE "C",
    deleted       smallint NOT NULL,
    doc           bytea
);

CREATE TABLE connection_journal (
    connection_id text COLLATE "C" NOT NULL,
    revision      bigint NOT NULL,
    timestamp     text COLLATE "C" NOT NULL,
    action        text NOT NULL,
    path          text NOT NULL,
    value         bytea,
    snapshot      bytea,
    PRIMARY KEY (connection_id, revision)
);
