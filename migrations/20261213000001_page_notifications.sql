-- Two more in-process caches, each flushed on every instance by a notification:
--
-- 1. Server sessions (the session store's records and each session's owner) on the channel of
--    who-may-do-what: signing in or out, the once-a-minute touch, and ending a user's sessions
--    (disable, password change) reach every instance's cache at once.
CREATE TRIGGER session_principal_change
    AFTER INSERT OR UPDATE OR DELETE ON tower_sessions.session
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER session_truncate_principal_change
    AFTER TRUNCATE ON tower_sessions.session
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER session_owner_principal_change
    AFTER INSERT OR UPDATE OR DELETE ON tower_sessions.session_owner
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER session_owner_truncate_principal_change
    AFTER TRUNCATE ON tower_sessions.session_owner
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');

-- 2. Rendered pages (http::page_cache): a page may show any table, so a write to any table of the
--    application's schema flushes them. One notification per statement (a million-row upload is
--    one), and several in one transaction are delivered once. `tests/page_cache.rs` checks that
--    every table has both triggers, so a table added later without them fails the tests.
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '_sqlx_migrations'
    LOOP
        EXECUTE format(
            'CREATE TRIGGER page_change AFTER INSERT OR UPDATE OR DELETE ON %s
             FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel(''settlepaisa_pages'')', t);
        EXECUTE format(
            'CREATE TRIGGER page_truncate_change AFTER TRUNCATE ON %s
             FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel(''settlepaisa_pages'')', t);
    END LOOP;
END
$$;
