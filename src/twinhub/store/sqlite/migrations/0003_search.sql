-- The search index (see twinhub/store/index.py), written in the same transaction as the thing or policy.

-- Search columns of things: what RQL reaches without the document.
ALTER TABLE things ADD COLUMN namespace TEXT;
ALTER TABLE things ADD COLUMN policy_id TEXT;
UPDATE things SET namespace = substr(thing_id, 1, instr(thing_id, ':') - 1),
                  policy_id = json_extract(CAST(doc AS TEXT), '$.policyId');
CREATE INDEX things_by_namespace ON things (namespace, thing_id);
CREATE INDEX things_by_policy ON things (policy_id);

-- One row per JSON node of a thing. `value` has no declared type, so integers stay exact integers and
-- compare numerically with reals; `type` keeps values of different JSON types apart, as Ditto's search
-- never compares across types.
CREATE TABLE thing_index (
    thing_id TEXT NOT NULL,
    path     TEXT NOT NULL,
    wpath    TEXT NOT NULL,
    type     INTEGER NOT NULL,
    value,
    empty    INTEGER NOT NULL
);
CREATE INDEX thing_index_by_value ON thing_index (path, type, value);
CREATE INDEX thing_index_by_wildcard ON thing_index (wpath, type, value) WHERE wpath <> path;
CREATE INDEX thing_index_by_thing ON thing_index (thing_id);

-- READ grants and revokes of each subject on thing: resources, per policy (imports resolved).
CREATE TABLE policy_index (
    policy_id TEXT NOT NULL,
    subject   TEXT NOT NULL,
    path      TEXT NOT NULL,
    depth     INTEGER NOT NULL,
    effect    INTEGER NOT NULL,
    expiry    TEXT
);
CREATE INDEX policy_index_by_policy ON policy_index (policy_id, subject, effect);
CREATE INDEX policy_index_by_subject ON policy_index (subject, policy_id);

-- Which policy imports which: a change of an imported policy re-indexes its importers.
CREATE TABLE policy_imports (
    policy_id   TEXT NOT NULL,
    imported_id TEXT NOT NULL,
    PRIMARY KEY (imported_id, policy_id)
) WITHOUT ROWID;
