-- Devices as identities (twinhub/store/postgres/devices.py): a thing id and the argon2 hash of its password;
-- ids sort by code point, as in SQLite.
CREATE TABLE devices (
    device_id     text COLLATE "C" PRIMARY KEY,
    password_hash text NOT NULL,
    created       text NOT NULL
);
