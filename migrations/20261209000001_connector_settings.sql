-- Issue 14: connectors configured on /connectors.
--
-- Secrets (an SFTP password or private key, a PG API key) are sealed with AES-256-GCM under the
-- server's SECRETS_KEY, one row per connector and secret; the key never reaches the database, and
-- the nonce and the ciphertext are all it holds. Pages and the API show only that a secret is set,
-- and since when.
CREATE TABLE connector_secrets (
    connector_id UUID NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    name         TEXT NOT NULL CHECK (name IN ('password', 'privateKey', 'apiKey')),
    nonce        BYTEA NOT NULL CHECK (length(nonce) = 12),
    ciphertext   BYTEA NOT NULL CHECK (length(ciphertext) > 16),
    set_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    set_by       UUID REFERENCES users (id),
    PRIMARY KEY (connector_id, name)
);

ALTER TABLE connectors
    -- Queue the cycle's recon run once a connector has brought its bank file (and the PG side is in).
    ADD COLUMN auto_recon BOOLEAN NOT NULL DEFAULT true,
    -- The SFTP server's host key (SHA-256 fingerprint), pinned at the first test; a change refuses.
    ADD COLUMN host_key_fingerprint TEXT,
    ADD COLUMN created_by UUID REFERENCES users (id),
    ADD COLUMN updated_by UUID REFERENCES users (id),
    ADD CONSTRAINT connectors_name_length CHECK (char_length(name) BETWEEN 1 AND 100);

-- A deleted connector takes its run history and its seen-file list with it (the audit log keeps
-- the deletion and the connector as it was; the files it brought stay with the uploads).
ALTER TABLE connector_files DROP CONSTRAINT connector_files_connector_id_fkey,
    ADD CONSTRAINT connector_files_connector_id_fkey FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE;
ALTER TABLE connector_files DROP CONSTRAINT connector_files_run_id_fkey,
    ADD CONSTRAINT connector_files_run_id_fkey FOREIGN KEY (run_id) REFERENCES connector_runs (id) ON DELETE CASCADE;
ALTER TABLE connector_runs DROP CONSTRAINT connector_runs_connector_id_fkey,
    ADD CONSTRAINT connector_runs_connector_id_fkey FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE;

-- The configuration's keys as the API names them: `directory`, `pattern`, `sidecar` (the demo's
-- connector was written with `remoteDir`, `filePattern`, `checksumSidecar`).
UPDATE connectors
SET config = (config - 'remoteDir' - 'filePattern' - 'checksumSidecar')
             || jsonb_strip_nulls(jsonb_build_object('directory', config -> 'remoteDir',
                                                     'pattern', config -> 'filePattern',
                                                     'sidecar', config -> 'checksumSidecar'))
WHERE connector_type = 'BANK_SFTP' AND (config ? 'remoteDir' OR config ? 'filePattern' OR config ? 'checksumSidecar');
