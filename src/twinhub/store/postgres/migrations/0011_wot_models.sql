-- WoT Thing Models kept in twinhub (twinhub/store/postgres/wot_models.py): a name (a relative URL path) and the
-- JSON document as sent; names sort by code point, as in SQLite.
CREATE TABLE wot_models (
    name     text COLLATE "C" PRIMARY KEY,
    document bytea NOT NULL,
    modified text NOT NULL
);
