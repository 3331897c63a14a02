//! A helper program for the Windows tests (tests/windows_runner.rs), which have no `sh`:
//! `windows_helper MODE [ARG...]`. Built as the example `windows_helper` (std only, so it builds
//! everywhere); the tests find it next to their own executable.
//!
//! Modes (each prints at most one credential_process JSON object on stdout):
//! - `json KEY`: credentials with access key id KEY.
//! - `cat FILE`: prints the bytes of FILE.
//! - `args [ARG...]`: credentials whose AccountId is a JSON array of the arguments as received
//!   (the C runtime's split of the command line).
//! - `stdin`: reads stdin to its end; AccountId is what was read.
//! - `stderr TEXT CODE`: writes TEXT to stderr, exits with CODE.
//! - `flood [PIDFILE]`: writes its pid to PIDFILE, then `x` to stdout without end.
//! - `sleep SECS`: sleeps.
//! - `tree PIDFILE`: starts `windows_helper sleep 60` (stdio to NUL), writes its pid to PIDFILE,
//!   then sleeps 60 s.
//! - `linger PIDFILE`: starts `windows_helper sleep 30` holding stdout, writes its pid to
//!   PIDFILE, prints credentials and exits.
//! - `wait STARTED RELEASE`: creates STARTED, waits until RELEASE exists, prints credentials.
//! - `count FILE [MS]`: appends a line to FILE (the runs of a shared-cache test), sleeps MS
//!   milliseconds, then prints credentials expiring in 2199 whose key id names `%ROLE%` and the
//!   run's number (`AKID<ROLE>RUN<n>`); the secret holds `"`, `\` and `%`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn creds(key: &str, account: Option<&str>) {
    let mut s = format!(
        "{{\"Version\":1,\"AccessKeyId\":{},\"SecretAccessKey\":\"S\"",
        quote(key)
    );
    if let Some(a) = account {
        s.push_str(&format!(",\"AccountId\":{}", quote(a)));
    }
    s.push('}');
    println!("{s}");
}

/// Writes the pid atomically (a temp file renamed), so a reader never sees half of it.
fn write_pid(file: &str, pid: u32) {
    let tmp = format!("{file}.tmp");
    std::fs::write(&tmp, pid.to_string()).expect("write pid");
    std::fs::rename(&tmp, file).expect("rename pid file");
}

// The `tree` and `linger` modes leave their child running on purpose: the tests check what
// becomes of it.
#[allow(clippy::zombie_processes)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let me = std::env::current_exe().expect("current_exe");
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
    match arg(1) {
        "json" => creds(arg(2), None),
        "cat" => {
            let bytes = std::fs::read(arg(2)).expect("read file");
            std::io::stdout().write_all(&bytes).expect("write");
        }
        "args" => {
            let list: Vec<String> = args[2..].iter().map(|a| quote(a)).collect();
            creds("ARGS", Some(&format!("[{}]", list.join(","))));
        }
        "stdin" => {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .expect("read stdin");
            creds("STDIN", Some(&input));
        }
        "stderr" => {
            eprint!("{}", arg(2));
            std::process::exit(arg(3).parse().unwrap_or(1));
        }
        "flood" => {
            if !arg(2).is_empty() {
                write_pid(arg(2), std::process::id());
            }
            let chunk = [b'x'; 4096];
            let mut out = std::io::stdout().lock();
            while out.write_all(&chunk).is_ok() {}
        }
        "sleep" => std::thread::sleep(Duration::from_secs(arg(2).parse().unwrap_or(60))),
        "tree" => {
            let child = Command::new(&me)
                .args(["sleep", "60"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            write_pid(arg(2), child.id());
            std::thread::sleep(Duration::from_secs(60));
        }
        "linger" => {
            let child = Command::new(&me)
                .args(["sleep", "30"])
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn");
            write_pid(arg(2), child.id());
            creds("LINGER", None);
        }
        "wait" => {
            std::fs::write(arg(2), b"").expect("started file");
            while !std::path::Path::new(arg(3)).exists() {
                std::thread::sleep(Duration::from_millis(10));
            }
            creds("WAITED", None);
        }
        "count" => {
            use std::fs::OpenOptions;
            let mut f = OpenOptions::new()
                .append(true)
                .create(true)
                .open(arg(2))
                .expect("open the count file");
            writeln!(f, "run {}", std::process::id()).expect("count");
            drop(f);
            let n = std::fs::read_to_string(arg(2))
                .map(|s| s.lines().count())
                .unwrap_or(0);
            std::thread::sleep(Duration::from_millis(arg(3).parse().unwrap_or(0)));
            let role = std::env::var("ROLE").unwrap_or_default();
            println!(
                "{{\"Version\":1,\"AccessKeyId\":{},\"SecretAccessKey\":{},\"SessionToken\":\"tok-{n}\",\"Expiration\":\"2199-01-01T00:00:00Z\"}}",
                quote(&format!("AKID{role}RUN{n}")),
                quote(&format!("s3cr3t-\"q\\b%x-{n}"))
            );
        }
        "" => {} // run by `cargo test` as an example: nothing to do
        other => {
            eprintln!("windows_helper: unknown mode {other}");
            std::process::exit(2);
        }
    }
}
