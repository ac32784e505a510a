-- A token's name is unique among its owner's tokens that are not revoked (a revoked token keeps
-- its name, and the name is free for a new token); and a change of a token's expiry reaches every
-- instance's principal cache, as a revocation does.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_user_id_name_key;
CREATE UNIQUE INDEX api_tokens_live_name_key ON api_tokens (user_id, name) WHERE revoked_at IS NULL;
-- Names renamed on revocation before this migration get their own name back.
UPDATE api_tokens SET name = regexp_replace(name, ' \(revoked [0-9a-f-]{36}\)$', '')
WHERE revoked_at IS NOT NULL AND name ~ ' \(revoked [0-9a-f-]{36}\)$';

DROP TRIGGER api_tokens_principal_change ON api_tokens;
CREATE TRIGGER api_tokens_principal_change
    AFTER INSERT OR DELETE OR UPDATE OF token_hash, user_id, revoked_at, expires_at ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_cache_channel('settlepaisa_principals');
