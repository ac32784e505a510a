//! Command line: serve the portal, run migrations, load the demo data, manage users and API tokens.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use uuid::Uuid;

use crate::auth::{password, tokens, users, Role};
use crate::config::{AppEnv, Config, LogFormat};
use crate::state::{AppState, StateParts, SystemClock};

#[derive(Parser)]
#[command(name = "settlepaisa-ops", version, about = "SettlePaisa Ops: reconciliation, settlements and disputes")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (the default) on LEPTOS_SITE_ADDR. Demo mode migrates first when needed;
    /// production refuses to start until `migrate` has been run (as the schema's owner).
    Serve,
    /// Apply the database migrations.
    Migrate,
    /// Load data sets.
    Seed {
        #[command(subcommand)]
        set: SeedSet,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Manage API tokens (for scripts and load tests; sent as `Authorization: Bearer`).
    Token {
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Connector secrets at rest (`SECRETS_KEY`).
    Secrets {
        #[command(subcommand)]
        action: SecretsAction,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Reconcile a PG file against a bank file, without a server or database, and print the
    /// counts by reason (formats detected from the headers; CSV or XLSX).
    Recon {
        #[arg(long)]
        pg: std::path::PathBuf,
        #[arg(long)]
        bank: std::path::PathBuf,
        #[arg(long)]
        cycle_date: Option<NaiveDate>,
        /// The merchant of a PG file without a merchant column (the order export).
        #[arg(long)]
        merchant: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SeedSet {
    /// The deterministic demo data set of spec 08.
    Demo {
        /// Dates are relative to this day (default: today in IST).
        #[arg(long)]
        anchor_date: Option<NaiveDate>,
        /// Do nothing when the database already has users.
        #[arg(long)]
        if_empty: bool,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Create a user; the password is read from a prompt, or from stdin when it is not a terminal.
    Create {
        #[arg(long)]
        email: String,
        /// sp-ops, sp-finance, sp-compliance, auditor or admin (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        name: Option<String>,
    },
    /// Clear a lockout.
    Unlock {
        #[arg(long)]
        email: String,
    },
    /// Disable an account (its sessions and tokens stop working at once).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Re-enable an account.
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Walk the audit log's SHA-256 hash chain from its first row to its last and report the
    /// first broken link (an edited, deleted or re-hashed row); exits 1 when the chain is broken.
    Verify {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SecretsAction {
    /// Seal every stored connector secret again under `SECRETS_KEY`, opening those sealed under
    /// `SECRETS_KEY_PREVIOUS` (the last step of a key rotation; running it again changes nothing).
    /// Exits 1 when a secret opens under neither key (listed; enter it again on /connectors).
    Reseal,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Create a token; it is printed once and stored only as a hash.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
    /// Revoke a token by name.
    Revoke {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
}

/// Turn transparent huge pages off for the server's process (`prctl(PR_SET_THP_DISABLE)`).
///
/// mimalloc asks the kernel for huge pages (`MADV_HUGEPAGE`) on its memory, so the first touch of
/// each 2 MiB zeroes all of it. Ten thousand connections arriving at once at a fresh server made
/// the kernel's page zeroing half of its CPU (`perf`: `clear_page_erms`), delayed the first
/// answers by up to 1.7 s and left 330 MB resident; with 4 KiB pages the same burst was answered
/// within 12 ms at p99 and left 200 MB (BENCHMARKS.md, "Load"). The flag covers the whole process;
/// the memory mapped before it keeps what it had. Failing to set it only costs that.
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() -> std::io::Result<()> {
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and touches no memory of ours.
    let set = unsafe {
        libc::prctl(
            libc::PR_SET_THP_DISABLE,
            1 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if set == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Offline work needs neither configuration nor a database.
    if let Some(Command::Recon { pg, bank, cycle_date, merchant, json }) = &cli.command {
        return recon_files(pg, bank, *cycle_date, merchant.clone(), *json);
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let _log_guard = init_logging(&config);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn recon_files(
    pg: &std::path::Path,
    bank: &std::path::Path,
    cycle_date: Option<NaiveDate>,
    merchant: Option<String>,
    json: bool,
) -> ExitCode {
    let open = |p: &std::path::Path| std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()));
    let report = open(pg)
        .and_then(|pg| open(bank).map(|bank| (pg, bank)))
        .and_then(|(pg, bank)| crate::features::recon::offline::run(pg, bank, cycle_date, merchant));
    match report {
        Ok(r) if json => {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Ok(r) => {
            print!("{}", r.text());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    let pool = crate::db::pool(&config).map_err(|e| format!("bad database URL: {e}"))?;
    let migrate = |pool: sqlx::PgPool| {
        let config = config.clone();
        async move { crate::db::migrate_for(&config, &pool).await.map_err(|e| format!("migrations failed: {e}")) }
    };
    match command {
        Command::Serve => {
            config.check_serving()?;
            match config.app_env {
                // Production migrates in its own step (`migrate`, as the owner); `serve` holds the
                // application's role only, and proves it before it listens.
                AppEnv::Production => {
                    crate::db::check_migrated(&pool).await?;
                    crate::db::check_serving_role(&pool).await?
                }
                // Demo mode migrates at start when this binary brings migrations the database
                // lacks (a server started as the app role finds none: its scripts migrate first).
                AppEnv::Demo => {
                    if crate::db::has_pending_migrations(&pool).await.map_err(|e| format!("migrations: {e}"))? {
                        migrate(pool.clone()).await?;
                    }
                }
            }
            serve(config, pool).await
        }
        Command::Migrate => {
            migrate(pool.clone()).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed { set: SeedSet::Demo { anchor_date, if_empty } } => {
            config.check_demo_seed()?;
            migrate(pool.clone()).await?;
            if if_empty && crate::demo::has_users(&pool).await.map_err(|e| e.to_string())? {
                println!("the database already has data; demo seed skipped");
                return Ok(());
            }
            let anchor = anchor_date.unwrap_or_else(|| crate::ist::today(chrono::Utc::now()));
            let summary = crate::demo::seed(&pool, anchor).await.map_err(|e| e.to_string())?;
            println!("{summary}");
            Ok(())
        }
        Command::User { action } => user_command(&pool, action).await,
        Command::Token { action } => match action {
            TokenAction::Create { user, name } => {
                let token =
                    tokens::create(&pool, &user, &name, &crate::audit::os_user()).await.map_err(|e| e.to_string())?;
                eprintln!("API token for {user} (\"{name}\") — shown once, store it now:");
                println!("{token}");
                Ok(())
            }
            TokenAction::Revoke { user, name } => {
                if tokens::revoke(&pool, &user, &name, &crate::audit::os_user()).await.map_err(|e| e.to_string())? {
                    println!("token revoked");
                    Ok(())
                } else {
                    Err(format!("no live token named \"{name}\" for {user}"))
                }
            }
        },
        Command::Secrets { action: SecretsAction::Reseal } => {
            let key = config.secrets_key.as_ref().ok_or("SECRETS_KEY is not set: there is no key to seal under")?;
            // Fingerprints (not the keys) so that keys set the wrong way round are seen at once.
            eprintln!(
                "sealing under SECRETS_KEY {}; opening also under SECRETS_KEY_PREVIOUS {}",
                key.fingerprint(),
                key.previous_fingerprint()
                    .unwrap_or_else(|| "(not set: only secrets already under SECRETS_KEY open)".into())
            );
            let done = crate::features::connectors::rotation::reseal_secrets(&pool, key, &crate::audit::os_user())
                .await
                .map_err(|e| e.to_string())?;
            println!("{} secrets sealed again under SECRETS_KEY, {} already under it", done.resealed, done.current);
            if done.unopened.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{} secrets open under neither key, left as they are (enter them again on /connectors): {}",
                    done.unopened.len(),
                    done.unopened.join(", ")
                ))
            }
        }
        Command::Audit { action: AuditAction::Verify { json } } => {
            let report = crate::features::audit::queries::verify(&pool).await.map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else if report.ok {
                println!(
                    "audit chain whole: {} rows checked; hash of the last row {}",
                    report.checked,
                    report.head_hash.as_deref().unwrap_or("(none: the log is empty)")
                );
            }
            match (report.ok, report.first_broken_id) {
                (true, _) => Ok(()),
                (false, id) => Err(format!(
                    "audit chain broken at row id {} (position {}): {}",
                    id.unwrap_or_default(),
                    report.first_broken_seq.unwrap_or_default(),
                    report.reason.as_deref().unwrap_or("")
                )),
            }
        }
        // Handled in `main` before any configuration is read.
        Command::Recon { .. } => Err("recon runs on files, without a database".into()),
    }
}

async fn user_command(pool: &sqlx::PgPool, action: UserAction) -> Result<(), String> {
    let operator = crate::audit::os_user();
    match action {
        UserAction::Create { email, roles, name } => {
            let roles: Vec<Role> = roles
                .iter()
                .map(|r| {
                    Role::parse(r).ok_or_else(|| {
                        format!("unknown role {r:?} (sp-ops, sp-finance, sp-compliance, auditor, admin)")
                    })
                })
                .collect::<Result<_, _>>()?;
            // The same rule as the admin's form.
            let email = crate::features::settings::model::parse_email(&email)?;
            let secret = read_password()?;
            password::check_policy(&secret)?;
            let hash = password::hash(&secret).map_err(|e| e.to_string())?;
            let full_name = name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
            let id = Uuid::new_v4();
            let created = users::create(&mut tx, id, &email, &full_name, &hash, &roles).await;
            // A refused create (the email is taken: nothing was written) is audited as a failure.
            let refused = matches!(created, Err(crate::error::AppError::Conflict(_)));
            if created.is_ok() || refused {
                let mut entry = crate::audit::AuditEntry::by_operator(&operator, "user.create", "user");
                entry.success = !refused;
                entry.target_id = (!refused).then(|| id.to_string());
                let role_codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
                entry.after = Some(serde_json::json!({ "email": email, "roles": role_codes }));
                crate::audit::record(&mut *tx, entry).await.map_err(|e| e.to_string())?;
                tx.commit().await.map_err(|e| e.to_string())?;
            }
            created.map_err(|e| e.to_string())?;
            println!("user {email} created");
            Ok(())
        }
        UserAction::Unlock { email } => found(users::unlock(pool, &email, &operator).await, &email, "unlocked"),
        UserAction::Disable { email } => {
            found(users::set_active(pool, &email, false, &operator).await, &email, "disabled")
        }
        UserAction::Enable { email } => {
            found(users::set_active(pool, &email, true, &operator).await, &email, "enabled")
        }
    }
}

fn found(result: Result<bool, crate::error::AppError>, email: &str, what: &str) -> Result<(), String> {
    match result {
        Ok(true) => {
            println!("user {email} {what}");
            Ok(())
        }
        Ok(false) => Err(format!("no user with email {email}")),
        Err(e) => Err(e.to_string()),
    }
}

fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Repeat: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords differ".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

async fn serve(config: Config, pool: sqlx::PgPool) -> Result<(), String> {
    #[cfg(target_os = "linux")]
    if let Err(e) = no_transparent_huge_pages() {
        tracing::warn!(error = %e, "transparent huge pages stay on: a burst of new connections costs more CPU and memory");
    }
    let conf = leptos::config::get_configuration(Some("Leptos.toml"))
        .or_else(|_| leptos::config::get_configuration(None))
        .map_err(|e| format!("Leptos configuration: {e}"))?;
    let leptos_options = conf.leptos_options;
    let addr = leptos_options.site_addr;
    let objects = crate::files::open_store(&config.object_store_url).map_err(|e| format!("object store: {e}"))?;
    let (principals, dispute_kpis) = AppState::start_caches(&pool);
    let (sessions, session_owners) = AppState::start_session_caches(&principals);
    if config.secrets_key.as_ref().is_some_and(|k| k.has_previous()) {
        tracing::warn!(
            "SECRETS_KEY_PREVIOUS is set: the retired key still opens connector secrets; run `settlepaisa-ops secrets reseal`, then remove it"
        );
    }
    let mailer = match &config.smtp {
        Some(smtp) => {
            if config.public_origin.is_none() {
                tracing::warn!(
                    "SMTP_HOST is set without PUBLIC_ORIGIN: links in report e-mails use {addr}, which recipients may not reach"
                );
            }
            Some(Arc::new(crate::mail::Mailer::new(smtp)?))
        }
        None => None,
    };
    let state = AppState::new(StateParts {
        pool: pool.clone(),
        config: Arc::new(config),
        leptos_options: Arc::new(leptos_options),
        clock: Arc::new(SystemClock),
        objects,
        principals,
        dispute_kpis,
        exception_counts: AppState::start_exception_counts(&pool),
        sessions,
        session_owners,
        pages: AppState::start_page_cache(&pool),
        renders: Arc::new(crate::http::page_cache::RenderGate::for_pool(&pool)),
        exports: Arc::new(crate::http::csv::ExportGate::for_pool(&pool)),
        mailer,
    });

    // Both listeners first: an instance that cannot listen (its port taken) exits before it has
    // taken any job, instead of abandoning one on every restart.
    let listener = crate::http::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let metrics = match state.config.metrics_addr.clone() {
        Some(metrics_addr) => {
            let handle = crate::http::metrics::install_recorder()?;
            let listener = crate::http::bind(&metrics_addr)
                .await
                .map_err(|e| format!("cannot listen on METRICS_ADDR {metrics_addr}: {e}"))?;
            Some((metrics_addr, handle, listener))
        }
        None => None,
    };

    // Background jobs (recon runs) on this instance; other instances run their own workers.
    // SIGTERM (or Ctrl-C) turns `stopping` true: the listener stops accepting and drains its
    // requests while the worker finishes the job in hand and takes no other.
    let (stop_tx, stopping) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("stopping: no new connections or jobs; finishing what is in flight");
        let _ = stop_tx.send(true);
    });
    let worker = crate::jobs::spawn_worker(state.clone(), stopping.clone());
    // Snoozed exceptions return to open when their time comes (reads are right before it runs).
    crate::features::exceptions::commands::spawn_snooze_waker(state.clone());
    // Scheduled reports due are queued as jobs (once between all instances).
    crate::features::reports::schedules::spawn_scheduler(state.clone());
    crate::features::connectors::runs::spawn_scheduler(state.clone());
    // Sign-in throttle rows that throttle nothing any more are deleted.
    crate::auth::login::spawn_throttle_pruner(pool.clone());
    // The daily rollups' deltas are folded into their bases (one instance at a time does it).
    crate::db::spawn_rollup_compactor(pool.clone());

    // Expired sessions are deleted from the store every minute.
    let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
    // A database outage must not end it: it retries a minute later.
    let cleanup = tokio::spawn(async move {
        use tower_sessions::session_store::ExpiredDeletion;
        loop {
            if let Err(e) = store.clone().continuously_delete_expired(std::time::Duration::from_secs(60)).await {
                tracing::warn!(error = %e, "expired sessions not deleted; trying again in a minute");
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });

    if let Some((metrics_addr, handle, listener)) = metrics {
        let metrics_app = crate::http::metrics::router(handle, state.clone());
        tracing::info!(%metrics_addr, "metrics on http://{metrics_addr}/metrics");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics_app).await {
                tracing::error!(error = %e, "metrics listener stopped");
            }
        });
    }

    let grace = state.config.shutdown_grace;
    let app = crate::http::router(state);
    tracing::info!(%addr, "SettlePaisa Ops listening on http://{addr}");
    use std::future::IntoFuture;
    let mut stopped = stopping.clone();
    let serving = axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })
        .into_future();
    // One deadline from the signal for both the drain and the job in hand, inside systemd's stop
    // time-out: a long export or a trickling upload cannot use up the job's grace.
    let mut signalled = stopping.clone();
    let deadline = async move {
        let _ = signalled.wait_for(|stop| *stop).await;
        tokio::time::Instant::now() + grace
    };
    tokio::pin!(serving);
    let deadline = tokio::select! {
        served = &mut serving => {
            served.map_err(|e| e.to_string())?;
            tokio::time::Instant::now() + grace
        }
        deadline = deadline => {
            tokio::select! {
                served = &mut serving => {
                    served.map_err(|e| e.to_string())?;
                }
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::warn!("requests still running at the shutdown deadline are abandoned; they end when the process exits");
                }
            }
            deadline
        }
    };
    let grace = deadline.saturating_duration_since(tokio::time::Instant::now());
    match worker.finish(grace).await {
        crate::jobs::Finished::InTime => {}
        crate::jobs::Finished::Requeued(job) => tracing::warn!(
            job,
            grace_secs = grace.as_secs(),
            "the running job did not end in time; it was stopped (its transaction rolls back) and queued again for any instance"
        ),
        crate::jobs::Finished::Stopped => tracing::warn!(
            grace_secs = grace.as_secs(),
            "the worker did not end in time; its job, if it held one, was stopped and is taken over (or failed as abandoned on its last attempt) once its heartbeat is stale"
        ),
    }
    cleanup.abort();
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// Logs to stdout or LOG_FILE, pretty or JSON, at LOG_LEVEL.
fn init_logging(config: &Config) -> Option<()> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(format!("{},sqlx=warn,tower_sessions=warn", config.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match (&config.log_file, config.log_format) {
        (Some(path), format) => {
            let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
            let builder = builder.with_writer(std::sync::Mutex::new(file)).with_ansi(false);
            match format {
                LogFormat::Json => builder.json().try_init(),
                LogFormat::Pretty => builder.try_init(),
            }
        }
        (None, LogFormat::Json) => builder.json().try_init(),
        (None, LogFormat::Pretty) => builder.try_init(),
    };
    result.ok()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn transparent_huge_pages_are_turned_off() {
        let enabled = || {
            let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
            status.lines().find_map(|l| l.strip_prefix("THP_enabled:").map(|v| v.trim().to_string()))
        };
        // The kernel's own view of the process; kernels before 5.0 do not show it.
        if enabled().is_none() {
            eprintln!("skipped: /proc/self/status has no THP_enabled line on this kernel");
            return;
        }
        super::no_transparent_huge_pages().expect("prctl(PR_SET_THP_DISABLE)");
        assert_eq!(enabled().as_deref(), Some("0"));
    }
}
