-- The store's identity on the event bus: a random epoch, made with the database (or on upgrading it) and
-- renewed when the database turns out to be restored from a backup (see twinhub/backends.py). The event
-- bus keeps the events of each epoch apart, so a restored or second store never has its events taken for
-- duplicates of another's, nor receives them. One row.
CREATE TABLE store_identity (
    id    smallint PRIMARY KEY CHECK (id = 1),
    epoch text NOT NULL
);
INSERT INTO store_identity (id, epoch) VALUES (1, substr(md5(gen_random_uuid()::text), 1, 16));
