//! The demo data set: every fixed figure of spec 08 and the staging checklist, asserted with SQL on
//! a freshly seeded database; the same anchor gives identical data.

use chrono::{Duration, NaiveDate, Utc};
use settlepaisa_ops::{demo, ist};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

fn today() -> NaiveDate {
    ist::today(Utc::now())
}

async fn one<T>(pool: &PgPool, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn chargeback_figures_match_the_staging_checklist(pool: PgPool) {
    let anchor = today();
    demo::seed(&pool, anchor).await.unwrap();
    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM chargebacks").await, 52);
    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM chargebacks WHERE status = 'OPEN'").await, 28, "openCount");
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM chargebacks WHERE status = 'OPEN' AND stage = 'UNDER_REVIEW'").await,
        12,
        "evidenceRequiredCount"
    );
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT sum(chargeback_paise + fees_paise)::bigint FROM chargebacks WHERE status <> 'WRITEOFF'"
        )
        .await,
        117_180_424,
        "disputedPaise"
    );
    assert_eq!(
        one::<i64>(&pool, "SELECT sum(recovered_paise)::bigint FROM chargebacks").await,
        38_637_570,
        "recoveredPaise"
    );
    assert_eq!(
        one::<i64>(&pool, "SELECT sum(written_off_paise)::bigint FROM chargebacks").await,
        25_514_269,
        "writtenOffPaise"
    );

    let split: Vec<(String, String, String, i64)> =
        sqlx::query_as("SELECT stage, status, outcome, count(*) FROM chargebacks GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
            .fetch_all(&pool)
            .await
            .unwrap();
    let expected = [
        ("CLOSED", "RECOVERED", "WON", 15),
        ("CLOSED", "WRITEOFF", "LOST", 7),
        ("CLOSED", "WRITEOFF", "PARTIAL", 2),
        ("NEW", "OPEN", "PENDING", 8),
        ("PRE_ARBIT", "OPEN", "PENDING", 5),
        ("REPRESENTMENT", "OPEN", "PENDING", 3),
        ("UNDER_REVIEW", "OPEN", "PENDING", 12),
    ];
    let got: Vec<(&str, &str, &str, i64)> =
        split.iter().map(|(a, b, c, n)| (a.as_str(), b.as_str(), c.as_str(), *n)).collect();
    assert_eq!(got, expected);

    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM chargebacks WHERE fees_paise <> 5000").await, 0);
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM chargebacks WHERE chargeback_paise NOT BETWEEN 10000 AND 5000000")
            .await,
        0
    );
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM chargebacks WHERE merchant_id NOT IN ('MERCH_001', 'MERCH_002', 'MERCH_003')"
        )
        .await,
        0
    );
    assert_eq!(
        one::<i64>(&pool, "SELECT count(DISTINCT acquirer) FROM chargebacks WHERE acquirer IN ('VISA','MASTERCARD','RUPAY','PAYTM','PHONEPE')").await,
        5
    );
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM chargebacks WHERE reason_code NOT IN ('10.4', '13.1', '13.3', '11.1', '4853')"
        )
        .await,
        0
    );
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM chargebacks WHERE reason_description = '' OR category = 'OTHER'").await,
        0
    );
    // Received within the 45 days before the anchor; evidence due 7–9 days after receipt (IST days).
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM chargebacks
         WHERE (received_at AT TIME ZONE 'Asia/Kolkata')::date NOT BETWEEN $1::date - 45 AND $1::date - 1",
    )
    .bind(anchor)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(outside, 0, "received within the 45 days before the anchor");
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM chargebacks WHERE (evidence_due_at AT TIME ZONE 'Asia/Kolkata')::date
                 - (received_at AT TIME ZONE 'Asia/Kolkata')::date NOT BETWEEN 7 AND 9"
        )
        .await,
        0
    );
    // A linked transaction carries the same merchant and at least the disputed amount.
    assert!(one::<i64>(&pool, "SELECT count(*) FROM chargebacks WHERE transaction_id IS NOT NULL").await > 0);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM chargebacks c JOIN transactions t ON t.id = c.transaction_id
             WHERE t.merchant_id <> c.merchant_id OR t.amount_paise < c.chargeback_paise OR t.txn_id <> c.txn_ref"
        )
        .await,
        0
    );
    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM chargeback_recovery_actions").await, 9, "one per lost case");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn sla_buckets_are_all_populated(pool: PgPool) {
    let today = today();
    demo::seed(&pool, today).await.unwrap();
    let now = Utc::now();
    let day = |n: i64| ist::start_of_day(today + Duration::days(n));
    let count_between = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM chargebacks WHERE status = 'OPEN' AND evidence_due_at >= $1 AND evidence_due_at < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let overdue: i64 =
        sqlx::query_scalar("SELECT count(*) FROM chargebacks WHERE status = 'OPEN' AND evidence_due_at < $1")
            .bind(now)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(overdue > 0, "overdue");
    assert!(count_between(now, day(1)).await > 0, "due today");
    assert!(count_between(day(1), day(2)).await > 0, "due tomorrow");
    assert!(count_between(day(2), day(4)).await > 0, "due in 2–3 days");
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn transactions_bank_lines_connector_and_users(pool: PgPool) {
    let anchor = today();
    demo::seed(&pool, anchor).await.unwrap();
    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM transactions").await, 747);
    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM bank_statement_lines").await, 2011);
    let (name, kind, status): (String, String, String) =
        sqlx::query_as("SELECT name, connector_type, status FROM connectors").fetch_one(&pool).await.unwrap();
    assert_eq!((name.as_str(), kind.as_str(), status.as_str()), ("AXIS SFTP", "BANK_SFTP", "ACTIVE"));
    assert_eq!(one::<i64>(&pool, "SELECT count(*) FROM connectors").await, 1);

    let users: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.email, r.role_code FROM users u JOIN user_roles r ON r.user_id = u.id ORDER BY u.email",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<(String, String)> = [
        ("admin@settlepaisa.test", "admin"),
        ("auditor@settlepaisa.test", "auditor"),
        ("compliance@settlepaisa.test", "sp-compliance"),
        ("finance2@settlepaisa.test", "sp-finance"),
        ("finance@settlepaisa.test", "sp-finance"),
        ("ops@settlepaisa.test", "sp-ops"),
    ]
    .iter()
    .map(|(e, r)| (e.to_string(), r.to_string()))
    .collect();
    assert_eq!(users, expected);
    let hash: String = one(&pool, "SELECT password_hash FROM users WHERE email = 'ops@settlepaisa.test'").await;
    assert!(settlepaisa_ops::auth::password::verify(demo::DEMO_PASSWORD.into(), Some(hash)).await.unwrap());

    // Transactions over the 30 days before the anchor; the last 7 days are never empty.
    let (first, last): (NaiveDate, NaiveDate) =
        sqlx::query_as("SELECT min(cycle_date), max(cycle_date) FROM transactions").fetch_one(&pool).await.unwrap();
    assert_eq!((first, last), (anchor - Duration::days(30), anchor - Duration::days(1)));
    assert_eq!(one::<i64>(&pool, "SELECT count(DISTINCT payment_method) FROM transactions").await, 7);
    assert!(one::<i64>(&pool, "SELECT count(DISTINCT merchant_id) FROM transactions").await >= 5);
    assert_eq!(one::<i64>(&pool, "SELECT count(DISTINCT acquirer) FROM transactions").await, 5);
    assert!(one::<i64>(&pool, "SELECT count(*) FROM bank_statement_lines WHERE direction = 'DEBIT'").await > 0);

    // Match rate between 80 % and 95 %; every one of the 11 types (and the extension) occurs.
    let reconciled_permille: i64 = one(
        &pool,
        "SELECT (count(*) FILTER (WHERE class = 'MATCHED') * 1000 / count(*))::bigint FROM recon_results WHERE side = 'pg'",
    )
    .await;
    assert!((800..=950).contains(&reconciled_permille), "match rate {reconciled_permille}‰");
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM exception_types t WHERE NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.reason_code = t.code)").await,
        0,
        "every exception type occurs"
    );
    // Runs conserve counts.
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM recon_runs WHERE matched + exceptions + unmatched_pg <> pg_rows").await,
        0
    );
    // Every run's stored amounts and records by reason agree with its results.
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM recon_runs r WHERE (r.matched_paise, r.exceptions_paise, r.unmatched_pg_paise,
                                                        r.unmatched_bank_paise) IS DISTINCT FROM (
                 SELECT ROW(coalesce(sum(pg_amount_paise) FILTER (WHERE side = 'pg' AND class = 'MATCHED'), 0)::bigint,
                        coalesce(sum(pg_amount_paise) FILTER (WHERE side = 'pg' AND class = 'EXCEPTION'), 0)::bigint,
                        coalesce(sum(pg_amount_paise) FILTER (WHERE side = 'pg' AND class = 'UNMATCHED_PG'), 0)::bigint,
                        coalesce(sum(bank_amount_paise) FILTER (WHERE side = 'bank' AND class = 'UNMATCHED_BANK'), 0)::bigint)
                 FROM recon_results x WHERE x.run_id = r.id)
                OR r.by_reason IS DISTINCT FROM (
                   SELECT coalesce(jsonb_object_agg(reason_code, n), '{}'::jsonb) FROM (
                       SELECT x.reason_code, count(*) AS n FROM recon_results x
                       WHERE x.run_id = r.id AND x.reason_code IS NOT NULL
                         AND (x.side = 'pg' OR x.reason_code IN ('DUPLICATE_BANK_ENTRY', 'BANK_TXN_MISSING_IN_PG'))
                       GROUP BY 1) y)"
        )
        .await,
        0
    );
    assert!(
        one::<i64>(&pool, "SELECT count(*) FROM recon_runs WHERE matched_paise > 0 AND by_reason <> '{}'").await > 0
    );
    // Exceptions in every work-queue status, some assigned, some SLA-breached, with comments.
    assert_eq!(one::<i64>(&pool, "SELECT count(DISTINCT status) FROM exceptions").await, 6);
    assert!(one::<i64>(&pool, "SELECT count(*) FROM exceptions WHERE assignee_id IS NOT NULL").await > 0);
    assert!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM exceptions WHERE status NOT IN ('resolved', 'wont_fix') AND sla_due_at < now()"
        )
        .await
            > 0
    );
    assert!(one::<i64>(&pool, "SELECT count(*) FROM exception_comments").await > 0);
    // Settlement batches in every status; paid ones carry UTRs verified by a bank DEBIT line.
    assert_eq!(one::<i64>(&pool, "SELECT count(DISTINCT status) FROM settlement_batches").await, 8);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM settlement_batches b WHERE b.status = 'PAID' AND NOT EXISTS (
                 SELECT 1 FROM bank_statement_lines l
                 WHERE l.direction = 'DEBIT' AND l.utr = b.payout_utr AND l.amount_paise = b.net_paise)"
        )
        .await,
        0
    );
    assert!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM settlement_batches WHERE status = 'FAILED' AND failure_reason IS NOT NULL"
        )
        .await
            > 0
    );
    assert!(one::<i64>(&pool, "SELECT count(*) FROM reserve_ledger").await > 0);
    assert!(one::<i64>(&pool, "SELECT count(DISTINCT bearer) FROM merchant_fee_bearers").await >= 1);
    assert!(one::<i64>(&pool, "SELECT count(DISTINCT coalesce(rate, 0)) FROM merchant_commission_rates").await >= 3);
    // Batch items agree with their batch.
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM settlement_batches b JOIN (
                 SELECT batch_id, sum(amount_paise) AS gross, count(*) AS n FROM settlement_items GROUP BY batch_id) i
               ON i.batch_id = b.id WHERE i.gross <> b.gross_paise OR i.n <> b.txn_count"
        )
        .await,
        0
    );
    // A rejected batch gave back what it took: no items; its transactions wait in the backlog for
    // the merchant's next batch, and read as reconciled, not settled.
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM settlement_items si JOIN settlement_batches b ON b.id = si.batch_id WHERE b.status = 'REJECTED'"
        )
        .await,
        0
    );
    assert!(one::<i64>(&pool, "SELECT count(*) FROM settlement_batches WHERE status = 'REJECTED'").await > 0);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM transactions t
             WHERE t.status = 'RECONCILED' AND t.currency = 'INR'
               AND EXISTS (SELECT 1 FROM settlement_batches b
                           WHERE b.merchant_id = t.merchant_id AND b.cycle_date = t.cycle_date AND b.status = 'REJECTED')
               AND NOT EXISTS (SELECT 1 FROM settlement_items si WHERE si.transaction_id = t.id)
               AND NOT EXISTS (SELECT 1 FROM settlement_backlog k WHERE k.transaction_id = t.id)"
        )
        .await,
        0,
        "every payment a rejected batch gave back waits in the backlog"
    );
    // Every batched day had its batch run, completed: late matches of any merchant that day join the
    // backlog.
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT (SELECT count(DISTINCT cycle_date) FROM settlement_batches)
                  - (SELECT count(*) FROM settlement_runs r WHERE r.status = 'completed'
                       AND EXISTS (SELECT 1 FROM settlement_batches b WHERE b.cycle_date = r.cycle_date))"
        )
        .await,
        0
    );
    assert!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM settlement_backlog k JOIN settlement_batches b
               ON b.merchant_id = k.merchant_id AND b.cycle_date = k.cycle_date AND b.status = 'REJECTED'"
        )
        .await
            > 0
    );
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM settlement_backlog k JOIN transaction_lifecycle l ON l.transaction_id = k.transaction_id
             WHERE l.status <> 'RECONCILED'"
        )
        .await,
        0
    );
}

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn the_same_anchor_gives_identical_data_and_a_second_seed_is_refused(pool: PgPool) {
    let anchor = NaiveDate::from_ymd_opt(2025, 10, 3).unwrap();
    demo::seed(&pool, anchor).await.unwrap();
    assert!(demo::seed(&pool, anchor).await.is_err(), "the demo set loads only into an empty database");

    // A twin database on the same server, seeded with the same anchor.
    let twin_name = format!("demo_twin_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {twin_name}")).execute(&pool).await.unwrap();
    let options = pool.connect_options().as_ref().clone().database(&twin_name);
    let twin = PgPoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
    settlepaisa_ops::db::migrate(&twin).await.unwrap();
    demo::seed(&twin, anchor).await.unwrap();

    const DIGEST: &str = "SELECT md5(
        (SELECT string_agg(t::text, '|' ORDER BY id) FROM transactions t) ||
        (SELECT string_agg(l::text, '|' ORDER BY id) FROM bank_statement_lines l) ||
        (SELECT string_agg(c::text, '|' ORDER BY case_ref) FROM chargebacks c) ||
        (SELECT string_agg(e::text, '|' ORDER BY id) FROM exceptions e) ||
        (SELECT string_agg(b::text, '|' ORDER BY batch_ref) FROM settlement_batches b) ||
        (SELECT string_agg(u.id || u.email || u.password_hash, '|' ORDER BY email) FROM users u))";
    let a: String = one(&pool, DIGEST).await;
    let b: String = one(&twin, DIGEST).await;
    twin.close().await;
    sqlx::query(&format!("DROP DATABASE {twin_name}")).execute(&pool).await.unwrap();
    assert_eq!(a, b);
}
