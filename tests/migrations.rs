//! The schema: migrations replay from an empty database, and its rules hold (append-only audit,
//! money constraints, the exception catalogue).

use settlepaisa_ops::db::MIGRATOR;
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

/// Migration 20261216000001 builds its unique index over runs stored before it, whose results hold
/// a bank-side copy of each pair: the copies are left out of it, and once built it refuses a second
/// PG row for a bank line a run's PG row holds.
#[sqlx::test(migrations = false)]
async fn the_bank_line_index_builds_over_runs_stored_with_copies(pool: PgPool) {
    const ONE_ROW_PER_PAIR: i64 = 20261216000001;
    let before = sqlx::migrate::Migrator {
        migrations: std::borrow::Cow::Owned(
            MIGRATOR.iter().filter(|m| m.version < ONE_ROW_PER_PAIR).cloned().collect(),
        ),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();
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
    let code = moved.as_database_error().and_then(|e| e.code()).map(|c| c.to_string());
    assert_eq!(code.as_deref(), Some("23514"), "a check violation: {moved}");
    assert!(moved.to_string().contains("never changes cycle"), "{moved}");
    sqlx::query("UPDATE transactions SET cycle_date = '2026-11-01', amount_paise = 200 WHERE txn_id = 'C1'")
        .execute(&pool)
        .await
        .expect("the same cycle written again, and other columns, are fine");
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
