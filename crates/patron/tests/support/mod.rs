//! What the tests that run the real `patron` binary share: the command on a database, running
//! it with input, and waiting for a server it started.
// Each test file uses a part of this.
#![allow(dead_code)]

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `patron --db URL`, unaffected by the environment's database, settings file and log level.
pub fn patron(url: &str) -> Command {
    let mut c = Command::cargo_bin("patron").expect("binary");
    c.env_remove("PATRON_DATABASE_URL")
        .env_remove("PATRON_CONFIG")
        .env_remove("RUST_LOG")
        .arg("--db")
        .arg(url);
    c
}

/// Runs a command with `stdin` as its input.
pub fn run(cmd: &mut Command, stdin: Option<&str>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let (Some(text), Some(mut i)) = (stdin, child.stdin.take()) {
        i.write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("run")
}

/// Runs a command that must succeed; returns its JSON output and its standard error.
pub fn run_json(cmd: &mut Command, stdin: Option<&str>) -> (Value, String) {
    let out = run(cmd, stdin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (serde_json::from_slice(&out.stdout).expect("json"), stderr)
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

/// Waits (at most 30 s) until the server at `base` answers `/readyz`.
pub async fn wait_up(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
