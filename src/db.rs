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

/// Rows for Postgres `COPY … FROM STDIN (FORMAT csv)`, written straight into a buffer: a missing
/// value is an empty unquoted field (NULL), text is quoted only when it must be.
#[derive(Default)]
pub struct CsvRows {
    buf: String,
    first: bool,
    pub rows: usize,
}

impl CsvRows {
    pub fn new() -> Self {
        CsvRows { buf: String::with_capacity(1 << 20), first: true, rows: 0 }
    }

    fn sep(&mut self) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
    }

    pub fn text(&mut self, value: Option<&str>) -> &mut Self {
        self.sep();
        if let Some(v) = value {
            if v.is_empty() || v.contains([',', '"', '\n', '\r']) {
                self.buf.push('"');
                self.buf.push_str(&v.replace('"', "\"\""));
                self.buf.push('"');
            } else {
                self.buf.push_str(v);
            }
        }
        self
    }

    pub fn num(&mut self, value: Option<i64>) -> &mut Self {
        self.sep();
        if let Some(v) = value {
            use std::fmt::Write;
            let _ = write!(self.buf, "{v}");
        }
        self
    }

    pub fn show(&mut self, value: Option<impl std::fmt::Display>) -> &mut Self {
        self.sep();
        if let Some(v) = value {
            use std::fmt::Write;
            let _ = write!(self.buf, "{v}");
        }
        self
    }

    pub fn end(&mut self) {
        self.buf.push('\n');
        self.first = true;
        self.rows += 1;
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The rows written so far, leaving the buffer empty for more.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.buf, String::with_capacity(1 << 20)).into_bytes()
    }
}

/// Stream rows into `COPY <table> (<columns>) FROM STDIN (FORMAT csv)`; `write` fills a buffer per
/// row and the buffer is sent every megabyte. Returns the rows copied.
pub async fn copy_in<T>(
    conn: &mut sqlx::PgConnection,
    copy_statement: &str,
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut CsvRows, T),
) -> Result<u64, sqlx::Error> {
    let mut copy = conn.copy_in_raw(copy_statement).await?;
    let mut rows = CsvRows::new();
    for item in items {
        write(&mut rows, item);
        if rows.len() >= 1 << 20 {
            copy.send(rows.take()).await?;
        }
    }
    if !rows.is_empty() {
        copy.send(rows.take()).await?;
    }
    copy.finish().await
}
