//! The `settlepaisa-ops` binary: `serve` (default), `migrate`, `seed demo`, `user …`, `token …`.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    settlepaisa_ops::cli::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build is a library (see lib.rs `hydrate`); the binary needs the `ssr` feature.
}
