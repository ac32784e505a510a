-- Tamper evidence for the audit log: a SHA-256 hash chain, computed by the database in the
-- transaction that writes the row.
--
-- Each row gets a gapless position `chain_seq` (1, 2, 3, …), the hash of the row before it
-- (`prev_hash`; 32 zero bytes before the first) and its own hash
--   row_hash = sha256(prev_hash || utf8(audit_log_canonical(row)))
-- over every column of the row (see the function). The trigger takes a transaction-scoped advisory
-- lock before it reads the chain's last row, so concurrent writers queue for the head of the chain
-- and can never fork it (two rows with one predecessor); the unique index on `chain_seq` backs
-- that up. The lock is held until the writer commits: audit rows are written last in their
-- transactions (see `src/audit.rs`), so that holding it costs a commit, not a whole command.
--
-- An edited row no longer hashes to its `row_hash`; a deleted row leaves a gap in `chain_seq`
-- and a `prev_hash` that names a row that is not there; a row re-hashed after its edit breaks the
-- link to the row after it. `settlepaisa-ops audit verify`, `GET /api/audit/v1/verify` and the
-- audit page's "Verify chain" walk the chain and report the first broken link; they compute the
-- hashes with their own copy of the canonical text (`features::audit::queries`), not with these
-- functions, so replacing the functions does not fool them. Someone who can rewrite the table can
-- still recompute every hash after an edit: the head hash the check prints, kept outside the
-- database, is what anchors the whole chain against that.

ALTER TABLE audit_log
    ADD COLUMN chain_seq BIGINT,
    ADD COLUMN prev_hash BYTEA,
    ADD COLUMN row_hash  BYTEA;

-- The text a row's hash covers: every column, in a fixed order, as a JSON array. The time is in
-- microseconds since the epoch and the address in its canonical text, so that neither the
-- session's time zone nor its output settings change the text.
CREATE FUNCTION audit_log_canonical(r audit_log) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT jsonb_build_array(
        r.chain_seq,
        r.id,
        (extract(epoch FROM r.occurred_at) * 1000000)::bigint,
        r.actor_id,
        r.actor_email,
        to_jsonb(r.actor_roles),
        r.action,
        r.target_type,
        r.target_id,
        r.outcome,
        host(r.ip) || '/' || masklen(r.ip),
        r.before,
        r.after,
        r.details
    )::text
$$;

-- The hash of a row whose `prev_hash` and `chain_seq` are set.
CREATE FUNCTION audit_log_digest(r audit_log) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT sha256(r.prev_hash || convert_to(audit_log_canonical(r), 'UTF8'))
$$;

-- The chain so far, over the rows already written (oldest id first), with the append-only
-- trigger set aside for the one UPDATE that fills the new columns.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_delete;
DO $$
DECLARE
    r audit_log;
    prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        n := n + 1;
        r.chain_seq := n;
        r.prev_hash := prev;
        r.row_hash := audit_log_digest(r);
        UPDATE audit_log SET chain_seq = r.chain_seq, prev_hash = r.prev_hash, row_hash = r.row_hash
        WHERE id = r.id;
        prev := r.row_hash;
    END LOOP;
END $$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update_delete;

ALTER TABLE audit_log
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN row_hash SET NOT NULL,
    ADD CONSTRAINT audit_log_hashes_are_sha256 CHECK (octet_length(prev_hash) = 32 AND octet_length(row_hash) = 32);
CREATE UNIQUE INDEX audit_log_chain_seq_key ON audit_log (chain_seq);

-- The search path is fixed, with temporary tables last: a session's temporary table called
-- audit_log cannot stand in for the chain's head.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    last_seq bigint;
    last_hash bytea;
BEGIN
    -- Under REPEATABLE READ or SERIALIZABLE the reading below would see the chain as it was when
    -- the transaction began, not its head: refused in words rather than left to the unique index.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'audit rows are written in READ COMMITTED transactions only (the hash chain must see its latest row)';
    END IF;
    -- One writer at a time at the head of the chain, until it commits or rolls back.
    PERFORM pg_advisory_xact_lock(6809161254499893249);  -- audit::AUDIT_CHAIN_LOCK (0x5e7f_0015_a0d1_c001)
    SELECT a.chain_seq, a.row_hash INTO last_seq, last_hash
    FROM public.audit_log a ORDER BY a.chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    NEW.row_hash := audit_log_digest(NEW);
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_chain
    BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- The audit page's filters, each with the page's order (newest first).
CREATE INDEX audit_log_action_idx ON audit_log (action, occurred_at DESC, chain_seq DESC);
CREATE INDEX audit_log_actor_email_idx ON audit_log (actor_email, occurred_at DESC, chain_seq DESC);
CREATE INDEX audit_log_ip_idx ON audit_log (ip, occurred_at DESC, chain_seq DESC);
CREATE INDEX audit_log_failures_idx ON audit_log (occurred_at DESC, chain_seq DESC) WHERE outcome = 'failure';
CREATE INDEX audit_log_roles_idx ON audit_log USING gin (actor_roles);
DROP INDEX audit_log_time_idx;
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at DESC, chain_seq DESC);
DROP INDEX audit_log_target_idx;
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, occurred_at DESC, chain_seq DESC);
