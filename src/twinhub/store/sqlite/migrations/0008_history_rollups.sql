-- History rollups (twinhub/store/rollups.py): per thing, path, width and epoch-aligned bucket, the partial
-- aggregate of the bucket's points, upserted in the transaction of each point. Queries read a series' buckets
-- by the key; retention deletes a width's old buckets through the second index.
CREATE TABLE history_rollups (
    thing_id   TEXT NOT NULL,
    path       TEXT NOT NULL,
    width_us   INTEGER NOT NULL,
    bucket_us  INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    numbers    INTEGER NOT NULL,
    floats     INTEGER NOT NULL,
    isum       NOT NULL, -- no affinity: an INTEGER, or beyond 64 bits the decimal TEXT (twinhub_add sums them)
    fsum       REAL NOT NULL,
    fsum_large REAL NOT NULL,
    min_type   INTEGER,
    min_num    REAL,
    min_str    TEXT,
    max_type   INTEGER,
    max_num    REAL,
    max_str    TEXT,
    first_t    INTEGER NOT NULL,
    first_rev  INTEGER NOT NULL,
    first_type INTEGER NOT NULL,
    first_num  REAL,
    first_str  TEXT,
    last_t     INTEGER NOT NULL,
    last_rev   INTEGER NOT NULL,
    last_type  INTEGER NOT NULL,
    last_num   REAL,
    last_str   TEXT,
    PRIMARY KEY (thing_id, path, width_us, bucket_us)
) WITHOUT ROWID;
CREATE INDEX history_rollups_by_age ON history_rollups (width_us, bucket_us);
