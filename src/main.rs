//! The `settlepaisa-ops` binary: `serve` (default), `migrate`, `seed demo`, `user …`, `token …`.

/// mimalloc: the server allocates many short-lived rows and strings per request, and glibc's
/// malloc showed up as a third of the CPU profile of the list endpoint (see BENCHMARKS.md).
#[cfg(feature = "ssr")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    settlepaisa_ops::cli::main().await
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser build is a library (see lib.rs `hydrate`); the binary needs the `ssr` feature.
}
