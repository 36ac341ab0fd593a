//! `sqlx::migrate!` embeds the migration files at compile time but cannot tell Cargo to watch
//! the folders on stable Rust; without this a new migration file would not reach the binary
//! until something else changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
