-- The search index (see twinhub/store/index.py), written in the same transaction as the thing or policy.

-- One row per JSON node of a thing. SQLite keeps scalars in one untyped `value`; here numbers (and
-- booleans as 0/1) go to `num` (numeric: integers and floats compare exactly) and strings to `str`, as
-- the POSTGRES search dialect addresses them. `type` keeps JSON types apart, as Ditto's search never
-- compares across types. Text holding U+0000 (which PostgreSQL text cannot) is escaped, order kept
-- (twinhub/store/postgres/rows.py).
CREATE TABLE thing_index (
    thing_id text COLLATE "C" NOT NULL,
    path     text COLLATE "C" NOT NULL,
    wpath    text COLLATE "C" NOT NULL,
    type     smallint NOT NULL,
    num      numeric,
    str      text COLLATE "C",
    empty    smallint NOT NULL
);
-- (path, type) leads both value indexes, so `eq(f,null)` and `like` find their rows too. A B-tree entry
-- must stay under ~2.7 kB, so strings are indexed by their first 256 characters; the dialect compares
-- those prefixes before the full strings (POSTGRES.string_prefix), which the index answers.
CREATE INDEX thing_index_by_number ON thing_index (path, type, num);
CREATE INDEX thing_index_by_string ON thing_index (path, type, left(str, 256)) WHERE str IS NOT NULL;
CREATE INDEX thing_index_by_wildcard_number ON thing_index (wpath, type, num) WHERE wpath <> path;
CREATE INDEX thing_index_by_wildcard_string ON thing_index (wpath, type, left(str, 256))
    WHERE wpath <> path AND str IS NOT NULL;
-- A thing's own rows: replacing them on each write, and the per-thing probes (exists, ne, empty, sort).
CREATE INDEX thing_index_by_thing ON thing_index (thing_id, path);

-- READ grants and revokes of each subject on thing: resources, per policy (imports resolved).
CREATE TABLE policy_index (
    policy_id text COLLATE "C" NOT NULL,
    subject   text COLLATE "C" NOT NULL,
    path      text COLLATE "C" NOT NULL,
    depth     integer NOT NULL,
    effect    smallint NOT NULL,
    expiry    text COLLATE "C"
);
CREATE INDEX policy_index_by_policy ON policy_index (policy_id, subject, effect);
CREATE INDEX policy_index_by_subject ON policy_index (subject, policy_id);

-- Which policy imports which: a change of an imported policy re-indexes its importers.
CREATE TABLE policy_imports (
    policy_id   text COLLATE "C" NOT NULL,
    imported_id text COLLATE "C" NOT NULL,
    PRIMARY KEY (imported_id, policy_id)
);
