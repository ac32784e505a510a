-- API tokens made on the profile page carry an expiry (tokens from the command line may have
-- none). An expired token authenticates nobody; it stays listed, as a revoked one does.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at DESC);
