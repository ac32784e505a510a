//! The connection pool and the migrations (embedded in the binary; they replay from an empty database).

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::config::Config;

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pool that connects on first use, so the server can start (and report 503 on /health) while
/// the database is down; a request waits at most 3 s for a connection.
pub fn pool(config: &Config) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(&config.database_url)
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Is the database answering? (`SELECT 1` with a 2-second limit.)
pub async fn is_up(pool: &PgPool) -> bool {
    matches!(tokio::time::timeout(Duration::from_secs(2), sqlx::query("SELECT 1").execute(pool)).await, Ok(Ok(_)))
}
