//! `patron`: the command line. Every command that reports something takes `--json` and then
//! prints exactly one JSON document on standard output; progress and logs go to standard error.
#![forbid(unsafe_code)]

mod cli;
mod cmd;
mod output;
mod settings;

use clap::Parser;

/// mimalloc instead of the system allocator: imports and the server allocate many small,
/// short-lived strings across threads, where glibc's allocator spent about a quarter of an
/// import's CPU time consolidating and unlinking chunks.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    no_huge_pages();
    let cli = cli::Cli::parse();
    init_logging(&cli);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(cmd::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error: `info` for the server, `warn` otherwise, `RUST_LOG` overrides.
fn init_logging(cli: &cli::Cli) {
    let default = match cli.command {
        cli::Command::Serve(_) | cli::Command::Demo(_) => "info,sqlx=warn",
        _ => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cli.log_format {
        cli::LogFormat::Json => logs.json().try_init(),
        cli::LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

/// Transparent huge pages off for this process. mimalloc asks the kernel for them on its large
/// areas, and the kernel then clears 2 MiB at a time as they are first touched: the batch
/// commands build and drop vectors of a million rows, and that clearing was over 40% of the
/// CPU profile of `patron classify` on the 1,000,000-customer demo (classify 2.5–2.7 s →
/// 1.8–2.0 s without it). Ordinary 4 KiB pages are the kernel's default for programs that do not ask;
/// failing to switch (an old kernel) changes nothing else.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("note: transparent huge pages stay on: {e}");
    }
}
