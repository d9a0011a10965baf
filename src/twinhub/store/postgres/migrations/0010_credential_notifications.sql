-- Every change to the credentials of logins, announced to each worker's cache of password hashes
-- (twinhub/store/postgres/hash_cache.py) on the channel twinhub_credentials: '<table>:<name>' for a row
-- added, changed or deleted (the old and the new name of a renamed row), '<table>' for a TRUNCATE. PostgreSQL
-- delivers a notification when, and only if, its transaction commits: the command line's writes reach the
-- running servers without them ever reading the tables per login.
CREATE FUNCTION twinhub_credentials_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('twinhub_credentials', TG_TABLE_NAME);
        RETURN NULL;
    END IF;
    -- TG_ARGV[0]: the table's key column.
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('twinhub_credentials', TG_TABLE_NAME || ':' || (to_jsonb(OLD) ->> TG_ARGV[0]));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('twinhub_credentials', TG_TABLE_NAME || ':' || (to_jsonb(NEW) ->> TG_ARGV[0]));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER auth_users_changed AFTER INSERT OR UPDATE OR DELETE ON auth_users
    FOR EACH ROW EXECUTE FUNCTION twinhub_credentials_changed('username');
CREATE TRIGGER auth_users_truncated AFTER TRUNCATE ON auth_users
    FOR EACH STATEMENT EXECUTE FUNCTION twinhub_credentials_changed('username');
CREATE TRIGGER devices_changed AFTER INSERT OR UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION twinhub_credentials_changed('device_id');
CREATE TRIGGER devices_truncated AFTER TRUNCATE ON devices
    FOR EACH STATEMENT EXECUTE FUNCTION twinhub_credentials_changed('device_id');
