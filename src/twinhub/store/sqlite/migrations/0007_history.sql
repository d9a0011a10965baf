-- History points (twinhub/store/points.py): one row per changed scalar leaf of a thing, written in the
-- transaction of its change. The key orders a series by time, then revision (a device's own timestamps
-- may arrive late): WITHOUT ROWID keeps each series' rows together for range reads.
CREATE TABLE history_points (
    thing_id TEXT NOT NULL,
    path     TEXT NOT NULL,
    t_us     INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    type     INTEGER NOT NULL,
    num      REAL,
    str      TEXT,
    PRIMARY KEY (thing_id, path, t_us, revision)
) WITHOUT ROWID;
