-- Devices as identities (twinhub/store/sqlite/devices.py): a thing id and the argon2 hash of its password.
CREATE TABLE devices (
    device_id     TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    created       TEXT NOT NULL
);
