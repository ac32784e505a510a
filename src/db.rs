//! The connection pool and the migrations (embedded in the binary; they replay from an empty database).

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use crate::config::Config;

pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pool that connects on first use, so the server can start (and report 503 on /health) while
/// the database is down; a request waits at most 3 s for a connection. Every connection starts
/// with the configured `statement_timeout` and `idle_in_transaction_session_timeout`, so a runaway
/// query or a transaction left open cannot hold a connection and its locks indefinitely.
pub fn pool(config: &Config) -> Result<PgPool, sqlx::Error> {
    let millis = |d: Duration| format!("{}ms", d.as_millis());
    let options = config.database_url.parse::<PgConnectOptions>()?.options([
        ("statement_timeout", millis(config.db_statement_timeout)),
        ("idle_in_transaction_session_timeout", millis(config.db_idle_in_transaction_timeout)),
    ]);
    Ok(PgPoolOptions::new()
        .max_connections(config.db_max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy_with(options))
}

/// Lift the statement timeout for the rest of this transaction (bulk writes: uploads, run results).
pub async fn lift_statement_timeout(tx: &mut PgConnection) -> Result<(), sqlx::Error> {
    // How long one statement of a bulk write may run (15 minutes): an upload's `COPY` lasts as long
    // as the client takes to send the file, and a million-row run writes its results in a few long
    // statements.
    sqlx::query!("SET LOCAL statement_timeout = '15min'").execute(tx).await?;
    Ok(())
}

/// Apply the migrations on a connection of their own without a statement timeout (a migration may
/// rewrite a large table); the connection is closed afterwards rather than returned to the pool.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query!("SET statement_timeout = 0").execute(&mut conn).await?;
    MIGRATOR.run(&mut conn).await
}

/// Apply the migrations as the schema's owner, then let the application's role do only what it
/// needs (spec 09: the audit tables are append-only for it). With `MIGRATION_DATABASE_URL` set the
/// migrations run as that role, which then grants the role of `DATABASE_URL` (the grants are
/// re-run after every migration, so the tables a migration adds are covered); without it one role
/// does both, as on a development database or a test's fresh database.
pub async fn migrate_for(config: &Config, app: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let Some(owner_url) = &config.migration_database_url else { return migrate(app).await };
    let owner_options = owner_url.parse::<PgConnectOptions>()?;
    let app_role = config.database_url.parse::<PgConnectOptions>()?.get_username().to_string();
    let owner = PgPoolOptions::new().max_connections(1).connect_with(owner_options.clone()).await?;
    let migrated = async {
        migrate(&owner).await?;
        if app_role != owner_options.get_username() {
            grant_app_role(&owner, &app_role).await?;
        }
        Ok(())
    }
    .await;
    owner.close().await;
    migrated
}

/// Are migrations of this binary not yet applied to the database? (Also when it has none at all.)
/// Demo mode's `serve` migrates only then: reading the ledger needs only `SELECT`, while running
/// the migrator needs the owner's `CREATE` even when there is nothing to do.
pub async fn has_pending_migrations(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied: Vec<i64> =
        match sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await {
            Ok(versions) => versions,
            // No ledger yet (undefined table): nothing was ever applied.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => return Ok(true),
            Err(e) => return Err(e),
        };
    Ok(MIGRATOR.iter().any(|m| !m.migration_type.is_down_migration() && !applied.contains(&m.version)))
}

/// What production's `serve` says when it finds the schema owner's powers in its own hands.
pub const SERVE_AS_APP_ROLE: &str =
    "run `settlepaisa-ops migrate` with MIGRATION_DATABASE_URL first, then serve with the app role only";

/// Production's check that the schema is this binary's: `serve` does not migrate there (it holds
/// the application's role), and with a migration missing a table may be missing too — every
/// sign-in would fail. Refused before it listens, with the way out.
pub async fn check_migrated(pool: &PgPool) -> Result<(), String> {
    let pending =
        has_pending_migrations(pool).await.map_err(|e| format!("could not read the migrations' ledger: {e}"))?;
    if pending {
        return Err(format!("the database lacks migrations of this binary: {SERVE_AS_APP_ROLE}"));
    }
    Ok(())
}

/// The append-only tables: the application adds and reads their rows, nothing more.
const AUDIT_TABLES: [&str; 2] = ["audit_log", "chargeback_audit"];

/// Production's check of the role `serve` connects as: on neither audit table may it change rows
/// (`UPDATE`, even of one column; `DELETE`; `TRUNCATE`), create triggers, nor own (or act as the
/// owner of) the table, since the owner can disable the append-only trigger. A server holding such
/// credentials is refused before it listens.
pub async fn check_serving_role<'c>(db: impl sqlx::PgExecutor<'c>) -> Result<(), String> {
    let tables = sqlx::query!(
        r#"SELECT t.name AS "name!",
                has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE, TRIGGER')
                OR has_any_column_privilege(c.oid, 'UPDATE')
                OR pg_has_role(c.relowner, 'MEMBER') AS "powers?"
         FROM unnest($1::text[]) AS t (name) LEFT JOIN pg_class c ON c.oid = to_regclass(t.name)
         ORDER BY t.name"#,
        &AUDIT_TABLES[..] as &[&str],
    )
    .fetch_all(db)
    .await
    .map_err(|e| format!("could not check the database role serve connects as: {e}"))?;
    if let Some(missing) = tables.iter().find(|t| t.powers.is_none()) {
        return Err(format!("the database has no {} table yet: {SERVE_AS_APP_ROLE}", missing.name));
    }
    let changeable: Vec<&str> = tables.iter().filter(|t| t.powers == Some(true)).map(|t| t.name.as_str()).collect();
    if changeable.is_empty() {
        return Ok(());
    }
    Err(format!(
        "APP_ENV=production refuses to serve as a role that can change or owns {} (DATABASE_URL): \
         {SERVE_AS_APP_ROLE}",
        changeable.join(" and ")
    ))
}

/// Grant `app_role` what the application may do (see the grants below), as the schema's owner.
pub async fn grant_app_role(owner: &PgPool, app_role: &str) -> Result<(), sqlx::Error> {
    let mut tx = owner.begin().await?;
    // The role's name reaches the grants as a setting, quoted there by `format('%I')`.
    sqlx::query!("SELECT set_config('settlepaisa.app_role', $1, true)", app_role).fetch_one(&mut *tx).await?;
    // Granted by the owner to the role named by the setting `settlepaisa.app_role`: reading and
    // writing the tables of the application's schemas, except the audit tables (insert and read
    // only; their id sequences `USAGE` only, so no `setval`), the daily rollups (read only: their
    // triggers and `rollup_compact()` write them as the owner) and the migrations' ledger (read only).
    // The role owns no table and may create none, so it cannot alter one either
    // (`ALTER TABLE … DISABLE TRIGGER` is the owner's).
    sqlx::query!(
        r#"DO $$
DECLARE
    app TEXT := current_setting('settlepaisa.app_role');
    s TEXT;
BEGIN
    EXECUTE 'REVOKE CREATE ON SCHEMA public FROM PUBLIC';
    FOREACH s IN ARRAY ARRAY['public', 'tower_sessions'] LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, app);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, app);
        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', s, app);
    END LOOP;
    EXECUTE format('REVOKE ALL ON audit_log, chargeback_audit FROM %I', app);
    EXECUTE format('GRANT SELECT, INSERT ON audit_log, chargeback_audit TO %I', app);
    -- nextval for the audit rows' ids, but no setval (UPDATE) to rewind them over gaps.
    EXECUTE format('REVOKE ALL ON SEQUENCE %s, %s FROM %I',
        pg_get_serial_sequence('audit_log', 'id'), pg_get_serial_sequence('chargeback_audit', 'id'), app);
    EXECUTE format('GRANT USAGE ON SEQUENCE %s, %s TO %I',
        pg_get_serial_sequence('audit_log', 'id'), pg_get_serial_sequence('chargeback_audit', 'id'), app);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM %I', app);
    -- The daily rollups move only with the ledger (their triggers run as the owner).
    EXECUTE format('REVOKE ALL ON txn_daily_base, txn_daily_delta, exception_daily_base, exception_daily_delta FROM %I', app);
    EXECUTE format('GRANT SELECT ON txn_daily_base, txn_daily_delta, exception_daily_base, exception_daily_delta TO %I', app);
END $$"#
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Every few seconds, fold the daily rollups' committed deltas into their bases
/// (`rollup_compact()`, migration 20261203000001): the readers' answer is the same before and
/// after, but fewer rows to add up. Any number of instances may run it; one at a time does.
pub fn spawn_rollup_compactor(pool: PgPool) {
    crate::jobs::every(pool.clone(), Duration::from_secs(5), "compacting the daily rollups", move || {
        let pool = pool.clone();
        async move {
            let folded = sqlx::query_scalar!(r#"SELECT rollup_compact() AS "folded!""#).fetch_one(&pool).await?;
            metrics::counter!("rollup_deltas_folded").increment(folded.unsigned_abs());
            Ok(())
        }
    });
}

/// Is the database answering? (`SELECT 1` with a 2-second limit.)
pub async fn is_up(pool: &PgPool) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), sqlx::query!("SELECT 1 AS one").fetch_one(pool)).await,
        Ok(Ok(_))
    )
}

/// Rows for Postgres `COPY … FROM STDIN (FORMAT csv)`, written straight into a buffer: a missing
/// value is an empty unquoted field (NULL), text is quoted only when it must be.
#[derive(Default)]
pub struct CopyRows {
    buf: String,
    first: bool,
    pub rows: usize,
}

impl CopyRows {
    pub fn new() -> Self {
        CopyRows { buf: String::with_capacity(1 << 20), first: true, rows: 0 }
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

    /// An amount as its whole number of paise (the `BIGINT` columns), not the rupee text of `show`.
    pub fn paise(&mut self, value: Option<crate::money::Paise>) -> &mut Self {
        self.num(value.map(|p| p.0))
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
    mut write: impl FnMut(&mut CopyRows, T),
) -> Result<u64, sqlx::Error> {
    let mut copy = conn.copy_in_raw(copy_statement).await?;
    let mut rows = CopyRows::new();
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

/// The transaction an export reads in: a pooled connection of its own in `BEGIN READ ONLY`, its
/// statement timeout lifted for this transaction alone (see [`begin_export`]); used as a
/// `&mut PgConnection` (`&mut *tx`). It is not a sqlx `Transaction`: nothing may begin or commit a
/// nested one on it.
///
/// An export read to its end calls [`ExportTx::finish`]: the transaction is rolled back (it wrote
/// nothing) and the connection goes back to the pool. Dropped without that — the client left or
/// stopped reading mid-stream, or the query failed — its connection is **closed**, never returned:
/// a stream cut short can leave it out of step with its server — a `COPY … TO STDOUT` above all,
/// whose closing ReadyForQuery sqlx 0.8 does not count, so the rollback's would be read as the next
/// query's answer. The server ends the transaction as the connection goes (and notices a client
/// gone within a second even mid-sort, `client_connection_check_interval`).
pub struct ExportTx {
    conn: sqlx::pool::PoolConnection<sqlx::Postgres>,
    finished: bool,
}

impl std::ops::Deref for ExportTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for ExportTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.conn
    }
}

impl ExportTx {
    /// The export read every row: end its transaction and give the connection back to the pool.
    pub async fn finish(mut self) -> Result<(), sqlx::Error> {
        sqlx::Executor::execute(&mut *self.conn, "ROLLBACK").await?;
        self.finished = true;
        Ok(())
    }
}

impl Drop for ExportTx {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.close_on_drop();
        }
    }
}

/// Begin an export's transaction ([`ExportTx`]). Its statements may run for an hour: a cursor is
/// open for as long as the client takes to download, and a steady download of a million rows over
/// a slow link takes minutes; a client that stops reading is given up long before
/// (`http::csv::SEND_TIMEOUT`). The transaction is one snapshot (`REPEATABLE READ`), so an export
/// of several statements (a report read batch by batch) reads one state of the data. Its start
/// and its two settings go in one round trip as a simple query (text, no parameters: several statements in one
/// string are allowed only there).
pub async fn begin_export(pool: &PgPool) -> Result<ExportTx, sqlx::Error> {
    let mut tx = ExportTx { conn: pool.acquire().await?, finished: false };
    sqlx::Executor::execute(
        &mut *tx.conn,
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = '1h'; SET LOCAL client_connection_check_interval = '1s'",
    )
    .await?;
    Ok(tx)
}

/// A query built from a filter, sent unprepared (`persistent(false)`), so PostgreSQL plans it with
/// the filter's values at every run: the plan the `EXPLAIN` tests of each list check. A statement
/// prepared on a pooled connection may switch to a generic plan, made without the values, after
/// its fifth run. For the transaction explorer at 10,000,000 rows (an amount range with a rare
/// status) that plan read the range's every row through a lossy bitmap in 2.0–3.2 s where the plan
/// for the values took 0.44 s (BENCHMARKS.md, "The explorer planned with its values"). The price is
/// planning at each run (1.5–1.8 ms for the explorer's list there), and one more round trip.
///
/// Every query a filter builds over a large table goes this way: the five lists (transactions,
/// settlement batches, disputes, the audit log, the exception queue), their counts and exports, and
/// the tiles and tabs beside them, the exception queue's "all matching" bulk selection, and the
/// reports' preview and totals (`tests/hardening.rs` `every_list_is_planned_with_its_values` reads
/// a session's prepared statements for the five lists). Queries of the daily rollup (`txn_daily`, a
/// row per day and key) are small and stay prepared.
pub trait PlannedWithValues: Sized {
    fn planned_with_values(self) -> Self;
}

impl<O> PlannedWithValues for sqlx::query::QueryAs<'_, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    fn planned_with_values(self) -> Self {
        self.persistent(false)
    }
}

impl<O> PlannedWithValues for sqlx::query::QueryScalar<'_, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    fn planned_with_values(self) -> Self {
        self.persistent(false)
    }
}

impl PlannedWithValues for sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
    fn planned_with_values(self) -> Self {
        self.persistent(false)
    }
}

/// Drift guards for SQL written out more than once because the query macros take string literals
/// only: each file's tests count the copies of a shared fragment in its own source.
#[cfg(test)]
pub(crate) mod sql_copies {
    /// How often `fragment` occurs in the code of `source` (the text before its `mod tests`),
    /// compared with whitespace collapsed and sqlx's column overrides read as plain SQL: `AS "x!: T"`
    /// as `AS x`, and then `t.x AS x` as `t.x` (so a macro's copy matches a `QueryBuilder`'s text).
    pub fn count(source: &str, fragment: &str) -> usize {
        let code = source.split("\n#[cfg(test)]\nmod tests").next().unwrap_or(source);
        plain(code).matches(&plain(fragment)).count()
    }

    fn plain(sql: &str) -> String {
        let mut text = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(at) = rest.find(" AS \"") {
            text.push_str(&rest[..at + 4]);
            let quoted = &rest[at + 5..];
            let end = quoted.find('"').unwrap_or(quoted.len());
            text.push_str(quoted[..end].split(['!', '?', ':']).next().unwrap_or_default().trim());
            rest = quoted.get(end + 1..).unwrap_or_default();
        }
        text.push_str(rest);
        let words: Vec<&str> = text.split_whitespace().collect();
        let mut kept: Vec<String> = Vec::with_capacity(words.len());
        let mut i = 0;
        while i < words.len() {
            let alias = words.get(i + 2).filter(|_| words.get(i + 1) == Some(&"AS"));
            match alias {
                Some(alias) if words[i].rsplit('.').next() == Some(alias.trim_end_matches(',')) => {
                    kept.push(format!("{}{}", words[i], if alias.ends_with(',') { "," } else { "" }));
                    i += 3;
                }
                _ => {
                    kept.push(words[i].to_string());
                    i += 1;
                }
            }
        }
        kept.join(" ")
    }

    #[test]
    fn overrides_and_layout_do_not_count_as_drift() {
        assert_eq!(
            plain("SELECT t.x AS \"x?: Paise\",\n   t.y::text AS \"y!\", u.z AS \"w?\", v AS v FROM t"),
            "SELECT t.x, t.y::text AS y, u.z AS w, v FROM t"
        );
        let source = "q!(r#\"SELECT t.a AS \"a!\",\n   b FROM t\"#);\n#[cfg(test)]\nmod tests { \"SELECT t.a, b\" }";
        assert_eq!(count(source, "SELECT t.a, b"), 1);
    }
}
