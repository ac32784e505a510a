-- Two more in-process caches, each flushed on every instance by a notification:
--
-- 1. Server sessions (the session store's records and each session's owner) on the channel of
--    who-may-do-what: signing in or out, the once-a-minute touch, and ending a user's sessions
--    (disable, password change) reach every instance's caches at once. Per row: the expired-session
--    sweep runs every minute on every instance and mostly deletes nothing.
CREATE TRIGGER session_principal_change
    AFTER INSERT OR UPDATE OR DELETE ON tower_sessions.session
    FOR EACH ROW EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER session_truncate_principal_change
    AFTER TRUNCATE ON tower_sessions.session
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER session_owner_principal_change
    AFTER INSERT OR UPDATE OR DELETE ON tower_sessions.session_owner
    FOR EACH ROW EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER session_owner_truncate_principal_change
    AFTER TRUNCATE ON tower_sessions.session_owner
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');

-- 2. Rendered pages (http::page_cache): a page may show any table, so a write to any table of the
--    application's schema flushes them. One notification per statement (a million-row upload is
--    one); PostgreSQL delivers a transaction's identical notifications (same channel, same table
--    name as payload) once. The tables that background loops write with statements that mostly
--    change nothing (the job worker's claim every half second, the rollup compactor, the sign-in
--    throttle pruner, the connector scheduler) notify per row instead, so an idle instance does not
--    flush its pages twice a second; their rows are few.
--
--    A table added by a later migration gets the same with `SELECT add_page_triggers('name')`
--    (or `add_page_triggers('name', true)` per row); `tests/page_cache.rs` fails for a table
--    without them.
CREATE FUNCTION add_page_triggers(t regclass, per_row boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'CREATE TRIGGER page_change AFTER INSERT OR UPDATE OR DELETE ON %s
         FOR EACH %s EXECUTE FUNCTION notify_cache_channel(''settlepaisa_pages'')',
        t, CASE WHEN per_row THEN 'ROW' ELSE 'STATEMENT' END);
    EXECUTE format(
        'CREATE TRIGGER page_truncate_change AFTER TRUNCATE ON %s
         FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel(''settlepaisa_pages'')', t);
END;
$$;

SELECT add_page_triggers(c.oid::regclass,
                         c.relname = ANY (ARRAY['jobs', 'login_throttle', 'connector_runs', 'txn_daily_base',
                                                'txn_daily_delta', 'exception_daily_base', 'exception_daily_delta']))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND c.relname <> '_sqlx_migrations';
