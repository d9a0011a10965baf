-- The users of HTTP basic authentication (twinhub/store/postgres/users.py); usernames sort by code point.
CREATE TABLE auth_users (
    username      text COLLATE "C" PRIMARY KEY,
    password_hash text NOT NULL,
    modified      text NOT NULL
);
