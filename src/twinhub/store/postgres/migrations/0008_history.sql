-- History points (twinhub/store/points.py): one row per changed scalar leaf of a thing, written in the
-- transaction of its change; the key orders a series by time, then revision (a device's own timestamps
-- may arrive late). Ids sort by code point, as in SQLite.
CREATE TABLE history_points (
    thing_id text COLLATE "C" NOT NULL,
    path     text COLLATE "C" NOT NULL,
    t_us     bigint NOT NULL,
    revision bigint NOT NULL,
    type     smallint NOT NULL,
    num      double precision,
    str      text,
    PRIMARY KEY (thing_id, path, t_us, revision)
);
