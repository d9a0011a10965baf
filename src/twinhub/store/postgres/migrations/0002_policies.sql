-- Policies and their journal, shaped like things and their journal (see 0001).

CREATE TABLE policies (
    policy_id text COLLATE "C" PRIMARY KEY,
    revision  bigint NOT NULL,
    created   text COLLATE "C",
    modified  text COLLATE "C",
    deleted   smallint NOT NULL,
    doc       bytea
);

CREATE TABLE policy_journal (
    policy_id text COLLATE "C" NOT NULL,
    revision  bigint NOT NULL,
    timestamp text COLLATE "C" NOT NULL,
    action    text NOT NULL,
    path      text NOT NULL,
    value     bytea,
    snapshot  bytea,
    PRIMARY KEY (policy_id, revision)
);
