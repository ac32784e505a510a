//! The audit tables are append-only for the application's database role (spec 09): connected as
//! that role, rows can be added to and read from `audit_log` and `chargeback_audit`, but not
//! changed, deleted, truncated, nor the tables' triggers disabled — while the rest of the
//! schema stays writable.

use sqlx::{Connection, PgConnection, PgPool};

/// The application's role of the project's private cluster: `scripts/lib.sh` (`db_ensure`) creates
/// it and makes the owner role, which the tests connect as, a member of it (so `SET ROLE` works).
const APP_ROLE: &str = "settlepaisa_app";

/// Postgres's "insufficient privilege" (also "must be owner of table").
const INSUFFICIENT_PRIVILEGE: &str = "42501";

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_app_role_may_only_add_to_and_read_the_audit_tables(pool: PgPool) {
    settlepaisa_ops::db::grant_app_role(&pool, APP_ROLE)
        .await
        .expect("the app role exists (scripts/lib.sh db_ensure creates it: run `make db-start`)");
    let mut app = pool.acquire().await.unwrap();
    sqlx::query(&format!("SET ROLE {APP_ROLE}"))
        .execute(&mut *app)
        .await
        .expect("the owner is a member of the app role");

    sqlx::query("INSERT INTO audit_log (action, target_type, outcome) VALUES ('test.append', 'test', 'success')")
        .execute(&mut *app)
        .await
        .expect("the app adds audit rows");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'test.append'")
        .fetch_one(&mut *app)
        .await
        .expect("the app reads audit rows");
    assert_eq!(rows, 1);
    sqlx::query("SELECT count(*) FROM chargeback_audit")
        .execute(&mut *app)
        .await
        .expect("the app reads the case audit");

    for table in ["audit_log", "chargeback_audit"] {
        for statement in [
            format!("UPDATE {table} SET occurred_at = now()"),
            format!("DELETE FROM {table}"),
            format!("TRUNCATE {table}"),
            format!("ALTER TABLE {table} DISABLE TRIGGER ALL"),
        ] {
            let refused = sqlx::query(&statement).execute(&mut *app).await.expect_err(&statement);
            let code = refused.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
            assert_eq!(code.as_deref(), Some(INSUFFICIENT_PRIVILEGE), "{statement}: {refused}");
        }
    }

    // The audit ids cannot be rewound (nor any table created to shadow one).
    for (check, what) in [
        ("SELECT has_sequence_privilege(current_user, 'audit_log_id_seq', 'UPDATE')", "setval on audit_log_id_seq"),
        (
            "SELECT has_sequence_privilege(current_user, 'chargeback_audit_id_seq', 'UPDATE')",
            "setval on chargeback_audit_id_seq",
        ),
        ("SELECT has_table_privilege(current_user, 'audit_log', 'REFERENCES')", "REFERENCES on audit_log"),
        ("SELECT has_schema_privilege(current_user, 'public', 'CREATE')", "CREATE in public"),
        ("SELECT has_schema_privilege(current_user, 'tower_sessions', 'CREATE')", "CREATE in tower_sessions"),
    ] {
        let granted: bool = sqlx::query_scalar(check).fetch_one(&mut *app).await.unwrap();
        assert!(!granted, "the app role has {what}");
    }
    let rewind = sqlx::query("SELECT setval('audit_log_id_seq', 1)").execute(&mut *app).await.expect_err("setval");
    let code = rewind.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some(INSUFFICIENT_PRIVILEGE), "setval: {rewind}");

    // Elsewhere the app works as before: it writes rows, with their sequences.
    sqlx::query("INSERT INTO jobs (kind) VALUES ('noop')").execute(&mut *app).await.expect("the app queues jobs");
    sqlx::query("UPDATE jobs SET priority = 1").execute(&mut *app).await.expect("the app updates jobs");
    sqlx::query("DELETE FROM tower_sessions.session").execute(&mut *app).await.expect("the app deletes sessions");
}

/// Production's `serve` refuses the owner's powers: as the owner (who migrated) it is refused with
/// the way out; as the application's role it may serve.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn production_serves_only_as_the_app_role(pool: PgPool) {
    settlepaisa_ops::db::grant_app_role(&pool, APP_ROLE).await.expect("the app role exists");
    let refused = settlepaisa_ops::db::check_serving_role(&pool).await.expect_err("the owner may not serve");
    assert!(refused.contains("settlepaisa-ops migrate") && refused.contains("app role only"), "{refused}");

    let mut app = pool.acquire().await.unwrap();
    sqlx::query(&format!("SET ROLE {APP_ROLE}")).execute(&mut *app).await.unwrap();
    settlepaisa_ops::db::check_serving_role(&mut *app).await.expect("the app role may serve");
    // Given UPDATE on the audit log, it may not.
    sqlx::query("RESET ROLE").execute(&mut *app).await.unwrap();
    sqlx::query(&format!("GRANT UPDATE ON audit_log TO {APP_ROLE}")).execute(&mut *app).await.unwrap();
    sqlx::query(&format!("SET ROLE {APP_ROLE}")).execute(&mut *app).await.unwrap();
    let refused = settlepaisa_ops::db::check_serving_role(&mut *app).await.expect_err("UPDATE on audit_log");
    assert!(refused.contains("audit_log"), "{refused}");
    sqlx::query("RESET ROLE").execute(&mut *app).await.unwrap();
    sqlx::query(&format!("REVOKE UPDATE ON audit_log FROM {APP_ROLE}")).execute(&mut *app).await.unwrap();

    // Nor any other power to change or erase either audit table's rows, or to put a trigger on one.
    for (grant, table) in [
        ("DELETE ON audit_log", "audit_log"),
        ("TRUNCATE ON audit_log", "audit_log"),
        ("TRIGGER ON audit_log", "audit_log"),
        ("UPDATE (details) ON audit_log", "audit_log"),
        ("UPDATE ON chargeback_audit", "chargeback_audit"),
        ("DELETE ON chargeback_audit", "chargeback_audit"),
        ("TRUNCATE ON chargeback_audit", "chargeback_audit"),
        ("TRIGGER ON chargeback_audit", "chargeback_audit"),
        ("UPDATE (after) ON chargeback_audit", "chargeback_audit"),
    ] {
        sqlx::query(&format!("GRANT {grant} TO {APP_ROLE}")).execute(&mut *app).await.unwrap();
        sqlx::query(&format!("SET ROLE {APP_ROLE}")).execute(&mut *app).await.unwrap();
        let refused = settlepaisa_ops::db::check_serving_role(&mut *app).await.expect_err(grant);
        assert!(refused.contains(table), "{grant}: {refused}");
        sqlx::query("RESET ROLE").execute(&mut *app).await.unwrap();
        let (privilege, rest) = grant.split_once(" ON ").unwrap();
        sqlx::query(&format!("REVOKE {privilege} ON {rest} FROM {APP_ROLE}")).execute(&mut *app).await.unwrap();
        sqlx::query(&format!("SET ROLE {APP_ROLE}")).execute(&mut *app).await.unwrap();
        settlepaisa_ops::db::check_serving_role(&mut *app).await.expect("revoked again");
        sqlx::query("RESET ROLE").execute(&mut *app).await.unwrap();
    }
}

/// Production's `serve` does not migrate: it refuses a database that lacks this binary's
/// migrations, saying how to add them.
#[sqlx::test(migrations = false)]
async fn production_refuses_a_database_with_pending_migrations(pool: PgPool) {
    let refused = settlepaisa_ops::db::check_migrated(&pool).await.expect_err("an empty database");
    assert!(refused.contains("run `settlepaisa-ops migrate` with MIGRATION_DATABASE_URL first"), "{refused}");
    settlepaisa_ops::db::migrate(&pool).await.unwrap();
    settlepaisa_ops::db::check_migrated(&pool).await.expect("all applied");
}

/// Demo mode's `serve` migrates only when the database lacks some of this binary's migrations.
#[sqlx::test(migrations = false)]
async fn pending_migrations_are_seen(pool: PgPool) {
    assert!(settlepaisa_ops::db::has_pending_migrations(&pool).await.unwrap(), "an empty database");
    settlepaisa_ops::db::migrate(&pool).await.unwrap();
    assert!(!settlepaisa_ops::db::has_pending_migrations(&pool).await.unwrap(), "all applied");
}

/// The daily rollups move only with the ledger: the app role reads them and cannot write them,
/// while its own writes to the ledger still move them (the triggers run as the owner), and it may
/// fold the deltas (`rollup_compact()`).
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_app_role_reads_the_rollups_and_moves_them_only_through_the_ledger(pool: PgPool) {
    settlepaisa_ops::db::grant_app_role(&pool, APP_ROLE).await.expect("the app role exists");
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MROLE', 'R', 'R')")
        .execute(&pool)
        .await
        .unwrap();
    let mut app = pool.acquire().await.unwrap();
    sqlx::query(&format!("SET ROLE {APP_ROLE}")).execute(&mut *app).await.unwrap();
    for statement in [
        "INSERT INTO txn_daily_delta VALUES ('2026-11-01', '', 'UPI', 'PENDING', '', 1000000, 1, 0)",
        "UPDATE txn_daily_base SET txn_count = 0",
        "DELETE FROM exception_daily_delta",
        "INSERT INTO exception_daily_base VALUES ('2026-11-01', 'AMOUNT_MISMATCH', 'HIGH', 'open', 5, 5)",
    ] {
        let refused = sqlx::query(statement).execute(&mut *app).await.expect_err(statement);
        let code = refused.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some(INSUFFICIENT_PRIVILEGE), "{statement}: {refused}");
    }
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('ROLE-1', 'MROLE', 500, now(), '2026-11-01', 'UPI')",
    )
    .execute(&mut *app)
    .await
    .expect("the app writes the ledger");
    let n: i64 = sqlx::query_scalar("SELECT sum(txn_count)::bigint FROM txn_daily WHERE cycle_date = '2026-11-01'")
        .fetch_one(&mut *app)
        .await
        .expect("the app reads the rollup");
    assert_eq!(n, 1, "its write moved the rollup");
    let folded: i64 =
        sqlx::query_scalar("SELECT rollup_compact()").fetch_one(&mut *app).await.expect("the app compacts");
    assert_eq!(folded, 1);
    let diff: i64 = sqlx::query_scalar("SELECT count(*) FROM rollup_differences()").fetch_one(&mut *app).await.unwrap();
    assert_eq!(diff, 0);
}

/// Every function that runs as the schema's owner (SECURITY DEFINER) looks in the session's
/// temporary schema last, so a temporary table of the app role's session cannot stand in for one of
/// ours: shown with the rollup trigger on transactions, which writes the real delta table while a
/// temporary `txn_daily_delta` made by the app role stays empty (with `search_path = public` alone
/// it was written), and with the merchant rule of transactions. Also: an item written without its
/// transaction's identity gets it, and follows a change of it.
#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn owner_functions_never_resolve_the_sessions_temporary_tables(pool: PgPool) {
    let loose: Vec<String> = sqlx::query_scalar(
        "SELECT p.proname::text FROM pg_proc p
         WHERE p.prosecdef AND p.pronamespace = 'public'::regnamespace
           AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, public, pg_temp'], false)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(loose.is_empty(), "SECURITY DEFINER functions without pg_temp last: {loose:?}");

    settlepaisa_ops::db::grant_app_role(&pool, APP_ROLE).await.expect("the app role exists");
    sqlx::query("INSERT INTO merchants (id, name, legal_name) VALUES ('MTEMP', 'T', 'T')")
        .execute(&pool)
        .await
        .unwrap();
    let txn: i64 = sqlx::query_scalar(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method, utr, status)
         VALUES ('TEMP-1', 'MTEMP', 500, now(), '2026-11-01', 'UPI', 'UTR-OLD', 'RECONCILED') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let batch = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO settlement_batches (id, batch_ref, merchant_id, cycle_date, status, txn_count, gross_paise,
                commission_paise, gst_paise, tds_paise, reserve_paise, deductions_paise, reserve_released_paise, net_paise, rail)
         VALUES ($1, 'TEMP-B', 'MTEMP', '2026-11-01', 'CALCULATED', 1, 500, 0, 0, 0, 0, 0, 0, 500, 'NEFT')",
    )
    .bind(batch)
    .execute(&pool)
    .await
    .unwrap();
    // Written without the transaction's identity (as a server of the release before the copies
    // would): the insert trigger fills it in.
    sqlx::query(
        "INSERT INTO settlement_items (batch_id, transaction_id, amount_paise, commission_paise, gst_paise, tds_paise,
                reserve_paise, net_paise, fee_bearer)
         VALUES ($1, $2, 500, 0, 0, 0, 0, 500, 'merchant')",
    )
    .bind(batch)
    .bind(txn)
    .execute(&pool)
    .await
    .expect("an item without the copies gets them from its transaction");
    let filled: (String, Option<String>) =
        sqlx::query_as("SELECT txn_id, utr FROM settlement_items WHERE transaction_id = $1")
            .bind(txn)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(filled, ("TEMP-1".to_string(), Some("UTR-OLD".to_string())));

    // A temporary table named like the rollups' delta, made by an app-role session: the owner's
    // rollup trigger (which names its tables without a schema) must write the real one.
    let mut app = pool.acquire().await.unwrap();
    sqlx::query(&format!("SET ROLE {APP_ROLE}")).execute(&mut *app).await.unwrap();
    sqlx::query(
        "CREATE TEMP TABLE txn_daily_delta (cycle_date date, acquirer text, payment_method text, status text,
                batch_status text, txn_count bigint, amount_paise bigint, paid_seconds bigint)",
    )
    .execute(&mut *app)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('TEMP-2', 'MTEMP', 700, now(), '2026-11-02', 'UPI')",
    )
    .execute(&mut *app)
    .await
    .expect("the app writes the ledger");
    let shadowed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_temp.txn_daily_delta").fetch_one(&mut *app).await.unwrap();
    assert_eq!(shadowed, 0, "the owner's trigger never wrote the session's table");
    drop(app);
    let rolled_up: i64 =
        sqlx::query_scalar("SELECT sum(txn_count)::bigint FROM txn_daily WHERE cycle_date = '2026-11-02'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(rolled_up, 1, "the real rollup moved");

    // The identity trigger carries a change of a batched transaction to its item.
    sqlx::query("UPDATE transactions SET utr = 'UTR-NEW' WHERE id = $1").bind(txn).execute(&pool).await.unwrap();
    let real: Option<String> = sqlx::query_scalar("SELECT utr FROM settlement_items WHERE transaction_id = $1")
        .bind(txn)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(real.as_deref(), Some("UTR-NEW"), "the item followed its transaction");

    // The merchant rule's owner functions likewise, in a new session of the app role (so no plan
    // of theirs is cached yet): a temporary `merchants` holding a made-up code does not let a
    // transaction name it, nor an empty temporary `transactions` let a merchant that only
    // transactions name be deleted. Two layers keep them safe: the bodies name every table
    // `public.`-qualified, and their search path puts `pg_temp` last (the catalogue check above
    // asserts it for every owner function). This part fails only with both taken away.
    sqlx::raw_sql(
        "INSERT INTO merchants (id, name, legal_name) VALUES ('MNAMED', 'O', 'O');
         INSERT INTO transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('TEMP-3', 'MNAMED', 700, now(), '2026-11-02', 'UPI')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let mut app = PgConnection::connect_with(&pool.connect_options()).await.unwrap();
    sqlx::raw_sql(&format!(
        "SET ROLE {APP_ROLE};
         CREATE TEMP TABLE merchants (id text); INSERT INTO pg_temp.merchants VALUES ('GHOST');
         CREATE TEMP TABLE transactions (merchant_id text)"
    ))
    .execute(&mut app)
    .await
    .unwrap();
    let ghost = sqlx::query(
        "INSERT INTO public.transactions (txn_id, merchant_id, amount_paise, txn_at, cycle_date, payment_method)
         VALUES ('TEMP-4', 'GHOST', 700, now(), '2026-11-02', 'UPI')",
    )
    .execute(&mut app)
    .await
    .expect_err("a code only the session's table holds is no merchant");
    let rule = |e: &sqlx::Error| e.as_database_error().and_then(|d| d.constraint().map(str::to_string));
    assert_eq!(rule(&ghost).as_deref(), Some("transactions_merchant_id_fkey"), "{ghost}");
    let deleted = sqlx::query("DELETE FROM public.merchants WHERE id = 'MNAMED'")
        .execute(&mut app)
        .await
        .expect_err("MNAMED is named by a transaction");
    assert_eq!(rule(&deleted).as_deref(), Some("transactions_merchant_id_fkey"), "{deleted}");
    app.close().await.unwrap();
}
