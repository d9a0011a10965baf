-- A value search (`eq`, `in`, ranges) wants only the thing ids of the matching index rows: with the thing id
-- in the index it reads them from the index alone, instead of one table row per match.
DROP INDEX thing_index_by_value;
CREATE INDEX thing_index_by_value ON thing_index (path, type, value, thing_id);
