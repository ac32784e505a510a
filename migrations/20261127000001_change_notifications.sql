-- Tell every running instance when data behind an in-process cache changes, so the caches can be
-- flushed at once: who-may-do-what (users, roles, API tokens: a revoked token or a disabled
-- account stops working on every instance as soon as the notification arrives) and the
-- chargebacks (the disputes KPIs).

CREATE FUNCTION notify_cache_channel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_principal_change
    AFTER INSERT OR DELETE OR UPDATE OF is_active, email, full_name ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER users_truncate_principal_change
    AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER user_roles_principal_change
    AFTER INSERT OR UPDATE OR DELETE ON user_roles
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
CREATE TRIGGER api_tokens_principal_change
    AFTER INSERT OR DELETE OR UPDATE OF token_hash, user_id, revoked_at ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');

CREATE TRIGGER chargebacks_change
    AFTER INSERT OR UPDATE OR DELETE ON chargebacks
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_chargebacks');
CREATE TRIGGER chargebacks_truncate_change
    AFTER TRUNCATE ON chargebacks
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_chargebacks');
