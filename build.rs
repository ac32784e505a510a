//! Rebuild when a migration changes: `sqlx::migrate!` embeds the `migrations/` folder at compile
//! time, and without this a changed or added migration would not reach the binary (sqlx's advice).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
