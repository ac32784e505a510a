//! The audit tables are append-only for the application's database role (spec 09): connected as
//! that role, rows can be added to and read from `audit_log` and `chargeback_audit`, but not
//! changed, deleted, truncated, nor the tables' triggers disabled — while the rest of the
//! schema stays writable.

use sqlx::PgPool;

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

    // Elsewhere the app works as before: it writes rows, with their sequences.
    sqlx::query("INSERT INTO jobs (kind) VALUES ('noop')").execute(&mut *app).await.expect("the app queues jobs");
    sqlx::query("UPDATE jobs SET priority = 1").execute(&mut *app).await.expect("the app updates jobs");
    sqlx::query("DELETE FROM tower_sessions.session").execute(&mut *app).await.expect("the app deletes sessions");
}
