//! A burst of parallel guesses against one account (issue 10): each password check is reserved
//! before argon2 runs, so the burst gets at most the ten checks the lockout allows. Alone in its
//! test binary because it reads the process-wide count of checked passwords.

mod common;

use common::{TestApp, PASSWORD};
use settlepaisa_ops::auth::login::MAX_FAILURES;
use settlepaisa_ops::auth::{password, Role};
use sqlx::PgPool;
use std::time::Duration;

const OPS: &str = "ops@example.test";

#[sqlx::test(migrator = "settlepaisa_ops::db::MIGRATOR")]
async fn a_burst_of_thirty_wrong_passwords_gets_ten_checks_and_locks_out_the_right_one(pool: PgPool) {
    let app = TestApp::new(pool.clone());
    app.create_user(OPS, &[Role::Ops]).await;
    let checked_before = password::guesses_verified();

    let wrong = futures::future::join_all((0..30).map(|i| {
        let app = &app;
        async move { app.login(OPS, &format!("Wrong-Password-{i}")).await }
    }));
    let right = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        app.login(OPS, PASSWORD).await
    };
    let (wrong, right) = tokio::join!(wrong, right);

    for reply in &wrong {
        let location = reply.location().unwrap_or_default();
        assert!(location.starts_with("/login?error="), "a wrong password never signs in: {location}");
    }
    assert!(
        right.location().unwrap_or_default().starts_with("/login?error=locked"),
        "the right password after the burst is refused: {:?}",
        right.location()
    );
    assert!(right.session_cookie().is_none());

    let checked = password::guesses_verified() - checked_before;
    assert!(checked <= MAX_FAILURES as u64, "{checked} passwords were checked against the account's hash");
    assert!(checked >= 1, "the first guesses were checked");
    let locked: bool = sqlx::query_scalar("SELECT locked_until > now() FROM login_throttle WHERE email = $1")
        .bind(OPS)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(locked, "the burst locked the account");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts WHERE email = $1")
        .bind(OPS)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(recorded, 31, "every attempt is recorded once");
}
