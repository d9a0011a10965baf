-- History rollups (twinhub/store/rollups.py): per thing, path, width and epoch-aligned bucket, the partial
-- aggregate of the bucket's points, upserted in the transaction of each point (the integer sum exact, as
-- numeric). Queries read a series' buckets by the key; retention deletes a width's old buckets through the
-- second index. Strings and paths are escaped as in history_points.
CREATE TABLE history_rollups (
    thing_id   text COLLATE "C" NOT NULL,
    path       text COLLATE "C" NOT NULL,
    width_us   bigint NOT NULL,
    bucket_us  bigint NOT NULL,
    count      bigint NOT NULL,
    numbers    bigint NOT NULL,
    floats     bigint NOT NULL,
    isum       numeric NOT NULL,
    fsum       double precision NOT NULL,
    fsum_large double precision NOT NULL,
    min_type   smallint,
    min_num    double precision,
    min_str    text,
    max_type   smallint,
    max_num    double precision,
    max_str    text,
    first_t    bigint NOT NULL,
    first_rev  bigint NOT NULL,
    first_type smallint NOT NULL,
    first_num  double precision,
    first_str  text,
    last_t     bigint NOT NULL,
    last_rev   bigint NOT NULL,
    last_type  smallint NOT NULL,
    last_num   double precision,
    last_str   text,
    PRIMARY KEY (thing_id, path, width_us, bucket_us)
);
CREATE INDEX history_rollups_by_age ON history_rollups (width_us, bucket_us);
