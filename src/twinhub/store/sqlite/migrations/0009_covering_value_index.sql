-- A value search (`eq`, `in`, ranges) wants only the thing ids of the matching index rows: with the thing id
-- in the index it reads them from the index alone, instead of one table row per match.
DROP INDEX thing_index_by_value;
CREATE INDEX thing_index_by_value ON thing_index (path, type, value, thing_id);
-- The per-thing probes (exists, ne, empty, the rows below a path) look for a thing's rows at a path. Without
-- the path (and type) here, SQLite, which keeps no statistics, would answer them from the covering value index
-- above by path alone: every thing's row at that path, for each thing probed.
DROP INDEX thing_index_by_thing;
CREATE INDEX thing_index_by_thing ON thing_index (thing_id, path, type);
