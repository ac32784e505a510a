//! The schema: migrations replay from an empty database, and its rules hold (append-only audit,
//! money constraints, the exception catalogue, a transaction's merchant).

mod common;

use settlepaisa_ops::db::MIGRATOR;
use sqlx::postgres::PgDatabaseError;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn migrations_replay_from_an_empty_database(pool: PgPool) {
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(before, 0, "the database starts empty");
    MIGRATOR.run(&pool).await.unwrap();
    MIGRATOR.run(&pool).await.expect("a second run is a no-op");

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables
         WHERE table_schema IN ('public', 'tower_sessions') AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for table in [
        "public.api_tokens",
        "public.audit_log",
        "public.bank_column_mappings",
        "public.bank_statement_lines",
        "public.chargeback_audit",
        "public.chargeback_documents",
        "public.chargeback_reason_codes",
        "public.chargeback_recovery_actions",
        "public.chargebacks",
        "public.connector_files",
        "public.connector_runs",
        "public.connectors",
        "public.dispute_webhook_events",
        "public.exception_actions",
        "public.exception_comments",
        "public.exception_types",
        "public.exceptions",
        "public.holidays",
        "public.jobs",
        "public.login_attempts",
        "public.merchant_bank_accounts",
        "public.merchant_commission_rates",
        "public.merchant_fee_bearers",
        "public.merchant_settlement_config",
        "public.merchants",
        "public.recon_results",
        "public.recon_runs",
        "public.recon_settings",
        "public.reserve_ledger",
        "public.roles",
        "public.saved_views",
        "public.settlement_approvals",
        "public.settlement_batches",
        "public.settlement_deductions",
        "public.settlement_items",
        "public.settlement_transfers",
        "public.sla_settings",
        "public.transactions",
        "public.upload_row_errors",
        "public.uploaded_files",
        "public.user_roles",
        "public.users",
        "tower_sessions.session",
    ] {
        assert!(tables.iter().any(|t| t == table), "{table} exists");
    }
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_audit_log_is_append_only(pool: PgPool) {
    sqlx::query("INSERT INTO audit_log (action, target_type, outcome) VALUES ('test', 'thing', 'success')")
        .execute(&pool)
        .await
        .unwrap();
    let update = sqlx::query("UPDATE audit_log SET action = 'changed'").execute(&pool).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_log").execute(&pool).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let truncate = sqlx::query("TRUNCATE audit_log").execute(&pool).await;
    assert!(truncate.is_err());
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn ledger_rows_are_never_deleted(pool: PgPool) {
    for table in
        ["transactions", "bank_statement_lines", "uploaded_files", "recon_runs", "recon_results", "settlement_batches"]
    {
        let delete = sqlx::query(&format!("DELETE FROM {table}")).execute(&pool).await;
        assert!(delete.unwrap_err().to_string().contains("never deleted"), "DELETE on {table}");
        let truncate = sqlx::query(&format!("TRUNCATE {table} CASCADE")).execute(&pool).await;
        assert!(truncate.unwrap_err().to_string().contains("never deleted"), "TRUNCATE on {table}");
    }
}

/// Apply the migrations older than `version`: the schema a release before it ran on (the test
/// stores rows as that release did, then runs the rest).
async fn migrate_before(pool: &PgPool, version: i64) {
    let before = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(MIGRATOR.iter().filter(|m| m.version < version).cloned().collect()),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(pool).await.unwrap();
}

/// Migration 20261216000001 builds its unique index over runs stored before it, whose results hold
/// a bank-side copy of each pair: the copies are left out of it, and once built it refuses a second
/// PG row for a bank line a run's PG row holds.
#[sqlx::test(migrations = false)]
async fn the_bank_line_index_builds_over_runs_stored_with_copies(pool: PgPool) {
    migrate_before(&pool, 20261216000001).await;
    // A run as releases before it stored one: PG row 1 paired with line 10 (and the line's copy of
    // it), line 11 unpaired. (No foreign keys tie results to transactions or lines.)
    sqlx::raw_sql(
        "INSERT INTO recon_runs (id, cycle_date, source, status) VALUES ('00000000-0000-0000-0000-00000000000a', '2026-11-01', 'manual', 'completed');
         INSERT INTO recon_results (run_id, side, transaction_id, bank_line_id, class, pg_amount_paise, bank_amount_paise, delta_paise, match_score)
         VALUES ('00000000-0000-0000-0000-00000000000a', 'pg', 1, 10, 'MATCHED', 100, 100, 0, 100),
                ('00000000-0000-0000-0000-00000000000a', 'bank', 1, 10, 'MATCHED', 100, 100, 0, 100),
                ('00000000-0000-0000-0000-00000000000a', 'bank', NULL, 11, 'UNMATCHED_BANK', NULL, 50, NULL, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    // The index's entries as its build counted them: the PG row and the unpaired line, not the copy.
    let entries: f32 =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'recon_results_bank_line_once'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(entries, 2.0);
    let twice = sqlx::query(
        "INSERT INTO recon_results (run_id, side, transaction_id, bank_line_id, class, pg_amount_paise, match_score)
         VALUES ('00000000-0000-0000-0000-00000000000a', 'pg', 2, 10, 'MATCHED', 100, 100)",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    let twice = twice.as_database_error().expect("a database error");
    assert_eq!(twice.constraint(), Some("recon_results_bank_line_once"));
}

/// Migration 20261218000001 keys the bank lines loaded without an upload (the demo data's) as an
/// upload keys them, `BANK:REF`; a line whose new key an upload has taken already keeps its own,
/// and lines that came with an upload, or without a reference, are left as they are.
#[sqlx::test(migrations = false)]
async fn demo_bank_lines_are_keyed_like_uploaded_ones(pool: PgPool) {
    migrate_before(&pool, 20261218000001).await;
    sqlx::raw_sql(
        "INSERT INTO uploaded_files (id, kind, original_name, sha256, cycle_date, size_bytes, storage_key)
         VALUES ('00000000-0000-0000-0000-0000000000f1', 'bank', 'up.csv', repeat('a', 64), '2026-11-01', 1, 'k');
         INSERT INTO bank_statement_lines (natural_key, bank_ref, bank_name, amount_paise, direction, txn_date, cycle_date, source_file_id)
         VALUES ('DEMO-1', 'DEMO-1', 'HDFC', 100, 'CREDIT', '2026-11-01', '2026-11-01', NULL),
                ('DEMO-2', 'DEMO-2', 'AXIS', 200, 'CREDIT', '2026-11-01', '2026-11-01', NULL),
                ('AXIS:DEMO-2', 'DEMO-2', 'AXIS', 250, 'CREDIT', '2026-11-01', '2026-11-01', '00000000-0000-0000-0000-0000000000f1'),
                ('UP-1', 'UP-1', 'HDFC', 300, 'CREDIT', '2026-11-01', '2026-11-01', '00000000-0000-0000-0000-0000000000f1'),
                ('HDFC:h:0123', NULL, 'HDFC', 400, 'CREDIT', '2026-11-01', '2026-11-01', NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let keys: Vec<(i64, String)> =
        sqlx::query_as("SELECT amount_paise, natural_key FROM bank_statement_lines ORDER BY amount_paise")
            .fetch_all(&pool)
            .await
            .unwrap();
    let keys: Vec<(i64, &str)> = keys.iter().map(|(a, k)| (*a, k.as_str())).collect();
    assert_eq!(
        keys,
        [(100, "HDFC:DEMO-1"), (200, "DEMO-2"), (250, "AXIS:DEMO-2"), (300, "UP-1"), (400, "HDFC:h:0123")]
    );
}

/// A transaction keeps the cycle it was first given (its recon results are read through its
/// cycle's runs); other columns still change.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_transaction_never_changes_cycle(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_C', 'C', 'C Ltd')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('C1', 'MERCH_C', 100, now(), '2026-11-01', 'UPI')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let moved = sqlx::query("UPDATE transactions SET cycle_date = '2026-11-02' WHERE txn_id = 'C1'")
        .execute(&pool)
        .await
        .expect_err("a transaction never changes cycle");
    assert_eq!(sqlstate(&moved).as_deref(), Some("23514"), "a check violation: {moved}");
    assert!(moved.to_string().contains("never changes cycle"), "{moved}");
    sqlx::query("UPDATE transactions SET cycle_date = '2026-11-01', amount_paise = 200 WHERE txn_id = 'C1'")
        .execute(&pool)
        .await
        .expect("the same cycle written again, and other columns, are fine");
}

/// The SQLSTATE of a refused statement.
fn sqlstate(e: &sqlx::Error) -> Option<String> {
    e.as_database_error().and_then(|d| d.code()).map(|c| c.to_string())
}

const FOREIGN_KEY_VIOLATION: &str = "23503";
const OBJECT_NOT_IN_PREREQUISITE_STATE: &str = "55000";

/// Refused as the foreign key `transactions_merchant_id_fkey` refused: its SQLSTATE, its name and
/// its table.
fn refused_by_merchant_rule(e: &sqlx::Error) -> bool {
    let db = e.as_database_error();
    sqlstate(e).as_deref() == Some(FOREIGN_KEY_VIOLATION)
        && db.and_then(|d| d.constraint()) == Some("transactions_merchant_id_fkey")
        && db.and_then(|d| d.table()) == Some("transactions")
}

/// The detail line of a refusal (the foreign key's `Key (…)=(…) is …`).
fn detail(e: &sqlx::Error) -> String {
    e.as_database_error()
        .and_then(|d| d.try_downcast_ref::<PgDatabaseError>())
        .and_then(|d| d.detail())
        .unwrap_or_default()
        .to_string()
}

/// `INSERT INTO transactions` of these `(txn_id, merchant_id)` pairs (the other columns fixed).
fn insert_transactions(rows: &[(&str, &str)]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|(txn, merchant)| format!("('{txn}', '{merchant}', 100, now(), '2026-11-01', 'UPI')"))
        .collect();
    format!(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method) VALUES {}",
        values.join(", ")
    )
}

/// How many transactions name `merchant`.
async fn transaction_count_of(pool: &PgPool, merchant: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM transactions WHERE merchant_id = $1")
        .bind(merchant)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The server process of a connection or transaction (to see who waits for its locks).
async fn backend_pid(conn: &mut sqlx::PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(conn).await.unwrap()
}

/// Migration 20261217000001 checks a transaction's merchant once per statement instead of the
/// foreign key's once per row: the rule is the foreign key's, for every way a transaction is
/// written and every way a merchant could go.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_transaction_always_names_a_merchant_that_exists(pool: PgPool) {
    sqlx::raw_sql(&format!(
        "INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_A', 'A', 'A Ltd'), ('MERCH_B', 'B', 'B Ltd'),
                                                              ('MERCH_GONE', 'G', 'G Ltd');
         {}",
        insert_transactions(&[("A1", "MERCH_A")])
    ))
    .execute(&pool)
    .await
    .unwrap();
    // A statement naming one missing merchant among known ones is refused whole, with the foreign
    // key's message.
    let refused = sqlx::query(&insert_transactions(&[("A2", "MERCH_A"), ("X1", "NO_SUCH")]))
        .execute(&pool)
        .await
        .expect_err("an unknown merchant is refused");
    assert!(refused_by_merchant_rule(&refused), "{refused}");
    assert!(refused.as_database_error().unwrap().message().contains("violates foreign key constraint"), "{refused}");
    assert_eq!(detail(&refused), "Key (merchant_id)=(NO_SUCH) is not present in table \"merchants\".");
    assert_eq!(transaction_count_of(&pool, "MERCH_A").await, 1, "nothing of the statement stays");
    // The same through the upload's path: an upsert, and COPY.
    let upsert = sqlx::query(&format!(
        "{} ON CONFLICT (txn_id) DO UPDATE SET amount_paise = 300",
        insert_transactions(&[("A1", "MERCH_A"), ("X2", "NO_SUCH")])
    ))
    .execute(&pool)
    .await
    .expect_err("an upsert naming an unknown merchant is refused");
    assert!(refused_by_merchant_rule(&upsert), "{upsert}");
    let mut conn = pool.acquire().await.unwrap();
    let mut copy = conn
        .copy_in_raw(
            "COPY transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method) FROM STDIN",
        )
        .await
        .unwrap();
    copy.send(
        b"C1\tMERCH_B\t100\t2026-11-01 10:00:00+00\t2026-11-01\tUPI\nC2\tNO_SUCH\t100\t2026-11-01 10:00:00+00\t2026-11-01\tUPI\n"
            .as_slice(),
    )
    .await
    .unwrap();
    let copied = copy.finish().await.expect_err("a COPY naming an unknown merchant is refused");
    assert!(refused_by_merchant_rule(&copied), "{copied}");
    drop(conn);
    assert_eq!(transaction_count_of(&pool, "MERCH_B").await, 0);
    let amount: i64 =
        sqlx::query_scalar("SELECT amount_paise FROM transactions WHERE txn_id = 'A1'").fetch_one(&pool).await.unwrap();
    assert_eq!(amount, 100, "the refused upsert changed nothing");
    // …and MERGE, inserting or moving a row.
    for merge in [
        "MERGE INTO transactions t USING (VALUES ('X3', 'NO_SUCH')) AS v (txn_id, merchant_id) ON t.txn_id = v.txn_id
         WHEN NOT MATCHED THEN INSERT (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
                                VALUES (v.txn_id, v.merchant_id, 100, now(), '2026-11-01', 'UPI')",
        "MERGE INTO transactions t USING (VALUES ('A1', 'NO_SUCH')) AS v (txn_id, merchant_id) ON t.txn_id = v.txn_id
         WHEN MATCHED THEN UPDATE SET merchant_id = v.merchant_id",
    ] {
        let refused = sqlx::query(merge).execute(&pool).await.expect_err(merge);
        assert!(refused_by_merchant_rule(&refused), "{merge}: {refused}");
    }
    // Many merchants in one statement: all there, then one of them missing.
    sqlx::query(
        "INSERT INTO merchants (id, name, legal_name) SELECT 'MANY_' || i, 'M', 'M Ltd' FROM generate_series(1, 5000) i",
    )
    .execute(&pool)
    .await
    .unwrap();
    let many = |last: &str| {
        format!(
            "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
             SELECT 'MT_{last}_' || i, CASE WHEN i = 5000 THEN '{last}' ELSE 'MANY_' || i END, 100, now(), '2026-11-01', 'UPI'
             FROM generate_series(1, 5000) i"
        )
    };
    let refused = sqlx::query(&many("MANY_GONE")).execute(&pool).await.expect_err("one of 5,000 is missing");
    assert!(refused_by_merchant_rule(&refused), "{refused}");
    assert_eq!(detail(&refused), "Key (merchant_id)=(MANY_GONE) is not present in table \"merchants\".");
    sqlx::query(&many("MANY_5000")).execute(&pool).await.expect("5,000 merchants, all there");
    // Known merchants are fine, once each or many times over.
    sqlx::query(&insert_transactions(&[("A2", "MERCH_A"), ("A3", "MERCH_A"), ("B1", "MERCH_B")]))
        .execute(&pool)
        .await
        .expect("known merchants");

    // A row moved to a missing merchant is refused; to a known one it moves.
    let moved = sqlx::query("UPDATE transactions SET merchant_id = 'NO_SUCH' WHERE txn_id = 'B1'")
        .execute(&pool)
        .await
        .expect_err("an unknown merchant is refused");
    assert!(refused_by_merchant_rule(&moved), "{moved}");
    sqlx::query("UPDATE transactions SET merchant_id = 'MERCH_B' WHERE txn_id = 'A3'").execute(&pool).await.unwrap();
    assert_eq!(transaction_count_of(&pool, "MERCH_B").await, 2);

    // A merchant that a transaction names is neither deleted nor given another id; its name
    // changes, and one no transaction names is deleted.
    for statement in
        ["DELETE FROM merchants WHERE id = 'MERCH_B'", "UPDATE merchants SET id = 'MERCH_B2' WHERE id = 'MERCH_B'"]
    {
        let refused = sqlx::query(statement).execute(&pool).await.expect_err(statement);
        assert!(refused_by_merchant_rule(&refused), "{statement}: {refused}");
        assert!(
            refused.as_database_error().unwrap().message().starts_with("update or delete on table \"merchants\""),
            "{statement}: {refused}"
        );
        assert_eq!(detail(&refused), "Key (id)=(MERCH_B) is still referenced from table \"transactions\".");
    }
    sqlx::query("UPDATE merchants SET name = 'B renamed' WHERE id = 'MERCH_B'").execute(&pool).await.unwrap();
    // Nor is the table truncated (by its owner, who alone may) while transactions name merchants.
    let truncated = sqlx::query("TRUNCATE merchants CASCADE").execute(&pool).await.expect_err("refused");
    assert!(refused_by_merchant_rule(&truncated), "{truncated}");
    assert_eq!(transaction_count_of(&pool, "MERCH_B").await, 2);
    // Outside READ COMMITTED the deleting transaction could miss a writer that committed while it
    // waited: refused there, even for a merchant no transaction names.
    for statement in ["DELETE FROM merchants WHERE id = 'MERCH_GONE'", "TRUNCATE merchants CASCADE"] {
        let mut repeatable = pool.begin().await.unwrap();
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *repeatable).await.unwrap();
        let refused = sqlx::query(statement).execute(&mut *repeatable).await.expect_err(statement);
        assert_eq!(sqlstate(&refused).as_deref(), Some(OBJECT_NOT_IN_PREREQUISITE_STATE), "{statement}: {refused}");
        repeatable.rollback().await.unwrap();
    }
    sqlx::query("DELETE FROM merchants WHERE id = 'MERCH_GONE'").execute(&pool).await.expect("no transaction names it");
}

/// The merchant rule against a concurrent deletion, either one first: an insert not yet committed
/// holds its merchant, so a deletion waits for it and then fails; a deletion not yet committed makes
/// an insert naming the merchant wait, and then fail, writing nothing; and a merchant created while
/// the insert waited does not count for it (the insert fails), so it is never taken from under it.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_merchant_deleted_meanwhile_is_never_named(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_R1', 'R1', 'R1 Ltd'), ('MERCH_R2', 'R2', 'R2 Ltd')")
        .execute(&pool)
        .await
        .unwrap();

    let mut writer = pool.begin().await.unwrap();
    let writer_pid = backend_pid(&mut writer).await;
    sqlx::query(&insert_transactions(&[("R1", "MERCH_R1")])).execute(&mut *writer).await.unwrap();
    let deleter = tokio::spawn({
        let pool = pool.clone();
        async move { sqlx::query("DELETE FROM merchants WHERE id = 'MERCH_R1'").execute(&pool).await }
    });
    assert!(common::until_blocked_by(&pool, writer_pid).await, "the deletion waits for the writer's lock");
    assert!(!deleter.is_finished(), "the deletion waits until the writer ends");
    writer.commit().await.unwrap();
    let refused = deleter.await.unwrap().expect_err("the merchant is named now");
    assert!(refused_by_merchant_rule(&refused), "{refused}");

    let mut deleting = pool.begin().await.unwrap();
    let deleting_pid = backend_pid(&mut deleting).await;
    sqlx::query("DELETE FROM merchants WHERE id = 'MERCH_R2'").execute(&mut *deleting).await.unwrap();
    let writer = tokio::spawn({
        let pool = pool.clone();
        async move { sqlx::query(&insert_transactions(&[("R2", "MERCH_R2")])).execute(&pool).await }
    });
    assert!(common::until_blocked_by(&pool, deleting_pid).await, "the insert waits for the deletion");
    assert!(!writer.is_finished(), "the insert waits until the deletion ends");
    deleting.commit().await.unwrap();
    let refused = writer.await.unwrap().expect_err("the merchant is gone");
    assert!(refused_by_merchant_rule(&refused), "{refused}");
    assert_eq!(transaction_count_of(&pool, "MERCH_R2").await, 0);

    // A merchant created while the writer's lock waited (on another merchant of the same statement)
    // is not locked by it, so it does not count: else a deletion could take it from under the
    // writer. The lock's query took its snapshot before the wait, so it never sees the new merchant
    // and the writer is refused; and no transaction may end up naming a missing merchant.
    let mut blocker = pool.begin().await.unwrap();
    let blocker_pid = backend_pid(&mut blocker).await;
    sqlx::query("SELECT 1 FROM merchants WHERE id = 'MERCH_R1' FOR UPDATE").execute(&mut *blocker).await.unwrap();
    let writer = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let written =
                sqlx::query(&insert_transactions(&[("R3", "MERCH_R1"), ("R4", "MERCH_LATE")])).execute(&mut *tx).await;
            (tx, written)
        }
    });
    assert!(common::until_blocked_by(&pool, blocker_pid).await, "the writer waits for MERCH_R1");
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_LATE', 'L', 'L Ltd')")
        .execute(&pool)
        .await
        .unwrap();
    blocker.commit().await.unwrap();
    let (tx, written) = writer.await.unwrap();
    let refused = written.as_ref().expect_err("a merchant the lock did not take does not count");
    assert!(refused_by_merchant_rule(refused), "{refused}");
    // The writer never locked the late merchant: its deletion goes through while the writer's
    // (failed) transaction is still open, and nothing names the merchant afterwards.
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        sqlx::query("DELETE FROM merchants WHERE id = 'MERCH_LATE'").execute(&pool),
    )
    .await
    .expect("the deletion does not wait for the writer")
    .expect("MERCH_LATE is named by no transaction");
    tx.rollback().await.unwrap();
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM transactions t WHERE NOT EXISTS (SELECT 1 FROM merchants m WHERE m.id = t.merchant_id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0, "the writer {written:?} left a transaction of a deleted merchant");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn money_and_state_constraints_refuse_bad_rows(pool: PgPool) {
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_T', 'T', 'T Ltd')")
        .execute(&pool)
        .await
        .unwrap();
    let negative = sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('T1', 'MERCH_T', -100, now(), current_date, 'UPI')",
    )
    .execute(&pool)
    .await;
    assert!(negative.is_err(), "negative amounts are refused");
    let bad_method = sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('T2', 'MERCH_T', 100, now(), current_date, 'CHEQUE')",
    )
    .execute(&pool)
    .await;
    assert!(bad_method.is_err());
    let bad_ifsc = sqlx::query(
        "INSERT INTO merchant_bank_accounts (id, merchant_id, holder_name, account_number, ifsc, bank_name)
         VALUES (gen_random_uuid(), 'MERCH_T', 'T', '123456789012', 'HDFC1234567', 'HDFC')",
    )
    .execute(&pool)
    .await;
    assert!(bad_ifsc.is_err(), "IFSC must match ^[A-Z]{{4}}0[A-Z0-9]{{6}}$");
    let unbalanced = sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
             commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail)
         VALUES (gen_random_uuid(), 'B1', 'MERCH_T', current_date, 'CALCULATED', 1, 10000, 200, 36, 0, 0, 0, 0, 9765, 'NEFT')",
    )
    .execute(&pool)
    .await;
    assert!(unbalanced.is_err(), "a batch whose components do not add up to gross is refused");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn exception_catalogue_has_eleven_v1_types_and_one_extension(pool: PgPool) {
    let v1: i64 =
        sqlx::query_scalar("SELECT count(*) FROM exception_types WHERE is_v1").fetch_one(&pool).await.unwrap();
    let ext: Vec<String> =
        sqlx::query_scalar("SELECT code FROM exception_types WHERE NOT is_v1").fetch_all(&pool).await.unwrap();
    assert_eq!(v1, 11);
    assert_eq!(ext, vec!["FEES_VARIANCE".to_string()]);
    let sla: i64 = sqlx::query_scalar("SELECT count(*) FROM sla_settings").fetch_one(&pool).await.unwrap();
    assert_eq!(sla, 12 * 4, "an SLA for every type and severity");
}

/// Migration 20261219000001 says for each run's file whether account numbers were masked: a file
/// written before it masked both kinds of personal data or neither, so it takes `masked`; a queued
/// run says nothing yet; a completed run cannot be stored without it afterwards.
#[sqlx::test(migrations = false)]
async fn report_runs_written_before_say_how_their_accounts_were_masked(pool: PgPool) {
    migrate_before(&pool, 20261219000001).await;
    sqlx::raw_sql("INSERT INTO users (id, email, full_name, password_hash) VALUES ('00000000-0000-0000-0000-0000000000f1', 'f@t.test', 'F', 'x')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::raw_sql(
        "INSERT INTO report_schedules (id, name, report, format, window_days, cron, recipients, created_by, next_run_at)
         VALUES ('00000000-0000-0000-0000-0000000000a1', 'S', 'settlement-summary', 'csv', 1, '0 7 * * *', '{a@t.test}',
                 '00000000-0000-0000-0000-0000000000f1', now());
         INSERT INTO report_runs (id, schedule_id, due_at, window_from, window_to, status, storage_key, file_name, sha256, size_bytes, masked)
         VALUES ('00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000a1', '2026-12-01T01:30:00Z', '2026-11-30', '2026-11-30',
                 'completed', 'k1', 'a.csv', repeat('a', 64), 1, false),
                ('00000000-0000-0000-0000-0000000000b2', '00000000-0000-0000-0000-0000000000a1', '2026-12-02T01:30:00Z', '2026-12-01', '2026-12-01',
                 'completed', 'k2', 'b.csv', repeat('b', 64), 1, true),
                ('00000000-0000-0000-0000-0000000000b3', '00000000-0000-0000-0000-0000000000a1', '2026-12-03T01:30:00Z', '2026-12-02', '2026-12-02',
                 'queued', NULL, NULL, NULL, NULL, NULL);",
    )
    .execute(&pool)
    .await
    .unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let runs: Vec<(String, Option<bool>, Option<bool>)> =
        sqlx::query_as("SELECT storage_key, masked, accounts_masked FROM report_runs WHERE storage_key IS NOT NULL ORDER BY storage_key")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(runs, [("k1".into(), Some(false), Some(false)), ("k2".into(), Some(true), Some(true))]);
    let queued: Option<bool> = sqlx::query_scalar("SELECT accounts_masked FROM report_runs WHERE status = 'queued'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(queued, None);
    let refused = sqlx::query(
        "UPDATE report_runs SET status = 'completed', storage_key = 'k3', file_name = 'c.csv', sha256 = repeat('c', 64), size_bytes = 1, masked = false
         WHERE status = 'queued'",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("report_runs_completed_says_accounts_masked"), "{refused}");
}

/// Migration 20261220000001 brings the UTRs of exception records made before to the form the
/// engine matched them in (trimmed, upper case), so the queue's search finds them.
#[sqlx::test(migrations = false)]
async fn exception_utrs_written_before_are_stored_as_matched(pool: PgPool) {
    migrate_before(&pool, 20261220000001).await;
    sqlx::raw_sql(
        "INSERT INTO bank_statement_lines (id, natural_key, bank_name, amount_paise, direction, txn_date, utr, cycle_date)
         VALUES (1, 'HDFC:M1', 'HDFC', 100, 'CREDIT', '2026-11-01', ' axisn1 ', '2026-11-01'),
                (2, 'HDFC:M2', 'HDFC', 100, 'CREDIT', '2026-11-01', 'AXISN2', '2026-11-01');
         INSERT INTO exceptions (id, reason_code, severity, sla_due_at, cycle_date, utr, bank_line_id)
         VALUES ('EXC-20261101-000001', 'BANK_TXN_MISSING_IN_PG', 'MEDIUM', now(), '2026-11-01', ' axisn1 ', 1),
                ('EXC-20261101-000002', 'BANK_TXN_MISSING_IN_PG', 'MEDIUM', now(), '2026-11-01', 'AXISN2', 2);",
    )
    .execute(&pool)
    .await
    .unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let utrs: Vec<String> =
        sqlx::query_scalar("SELECT utr FROM exceptions ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(utrs, ["AXISN1", "AXISN2"]);
    // The bank line keeps its text (its natural key may be made of it).
    let line: String =
        sqlx::query_scalar("SELECT utr FROM bank_statement_lines WHERE id = 1").fetch_one(&pool).await.unwrap();
    assert_eq!(line, " axisn1 ");
}

/// Migration 20261221000001 brings the acquirer, UTR and RRN of transactions stored before to the
/// form uploads store them in (the acquirer trimmed and upper case; UTR and RRN upper case without
/// spaces, a placeholder none), and exception records' and chargebacks' likewise, so the explorer's
/// filters and the queue's search find them by equality; the daily rollup follows the acquirer.
#[sqlx::test(migrations = false)]
async fn transaction_references_stored_before_are_stored_as_matched(pool: PgPool) {
    migrate_before(&pool, 20261221000001).await;
    sqlx::raw_sql(
        "INSERT INTO merchants (id, name, legal_name) VALUES ('MERCH_R', 'R', 'R Ltd');
         INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, acquirer, utr, rrn)
         VALUES ('R1', 'MERCH_R', 100, '2026-11-01 05:00+00', '2026-11-01', 'UPI', ' hdfc ', ' utr 1 ', 'n/a'),
                ('R2', 'MERCH_R', 200, '2026-11-01 05:00+00', '2026-11-01', 'UPI', 'HDFC', 'UTR2', 'RRN2'),
                ('R3', 'MERCH_R', 300, '2026-11-01 05:00+00', '2026-11-01', 'UPI', '  ', 'N / A', E'rrn3\t');
         INSERT INTO exceptions (id, reason_code, severity, sla_due_at, cycle_date, utr, acquirer, transaction_id)
         SELECT 'EXC-20261101-000001', 'PG_TXN_MISSING_IN_BANK', 'MEDIUM', now(), '2026-11-01', 'AX 1', ' Hdfc', id
           FROM transactions WHERE txn_id = 'R1';
         INSERT INTO chargebacks (id, case_ref, acquirer, network_case_id, merchant_id, merchant_name, rrn, utr,
                                  original_gross_paise, chargeback_paise, reason_code, reason_description, category,
                                  stage, status, outcome, received_at)
         VALUES (gen_random_uuid(), 'CB-2026-0001', 'VISA', 'N1', 'MERCH_R', 'R', 'N/A', E'UTR9\t', 100, 100, '13.1',
                 'x', 'PROCESSING', 'NEW', 'OPEN', 'PENDING', now());",
    )
    .execute(&pool)
    .await
    .unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    type Refs = (String, Option<String>, Option<String>, Option<String>);
    let rows: Vec<Refs> = sqlx::query_as("SELECT txn_id, acquirer, utr, rrn FROM transactions ORDER BY txn_id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        rows,
        [
            ("R1".into(), some("HDFC"), some("UTR1"), None),
            ("R2".into(), some("HDFC"), some("UTR2"), some("RRN2")),
            ("R3".into(), None, None, some("RRN3")),
        ]
    );
    let exception: (String, String) =
        sqlx::query_as("SELECT utr, acquirer FROM exceptions").fetch_one(&pool).await.unwrap();
    assert_eq!(exception, ("AX1".into(), "HDFC".into()));
    let case: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT rrn, utr FROM chargebacks").fetch_one(&pool).await.unwrap();
    assert_eq!(case, (None, some("UTR9")));
    common::assert_rollups_exact(&pool).await;
}
