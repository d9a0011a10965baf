-- WoT Thing Models kept in twinhub (twinhub/store/sqlite/wot_models.py): a name (a relative URL path) and the
-- JSON document as sent.
CREATE TABLE wot_models (
    name     TEXT PRIMARY KEY NOT NULL,
    document BLOB NOT NULL,
    modified TEXT NOT NULL
);
